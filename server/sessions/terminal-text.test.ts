import { describe, expect, it } from "vitest";
import { AnsiStripper, LineCutter, timeAt } from "./terminal-text";

describe("AnsiStripper", () => {
  it("drops colours, cursor moves, titles and control characters", () => {
    const s = new AnsiStripper();
    expect(s.feed("\x1b[1;32muser@host\x1b[0m:\x1b[01;34m~\x1b[00m$ ls\r\n")).toBe("user@host:~$ ls\r\n");
    expect(s.feed("\x1b]0;user@host: ~\x07title gone\x1b]2;x\x1b\\ too")).toBe("title gone too");
    expect(s.feed("a\x08b\x07c\td\x1b(Be\x1b=f\x1b[?2004hg")).toBe("abc defg");
  });

  it("keeps a sequence cut across two events whole", () => {
    const s = new AnsiStripper();
    const cut = "\x1b[38;5;196mred\x1b[0m text";
    for (const at of [1, 2, 3, 5, 7, 11]) {
      const again = new AnsiStripper();
      expect(again.feed(cut.slice(0, at)) + again.feed(cut.slice(at))).toBe("red text");
    }
    expect(s.feed("\x1b]0;ti") + s.feed("tle\x07ok")).toBe("ok");
  });

  it("keeps non-ASCII text", () => {
    expect(new AnsiStripper().feed("café ✓ 日本\x1b[0m")).toBe("café ✓ 日本");
  });
});

describe("LineCutter", () => {
  it("cuts at CR and LF and knows which event wrote each part of a line", () => {
    const c = new LineCutter();
    expect(c.feed("hello fr", 1)).toEqual([]);
    const [line] = c.feed("om the recording\r\nnext", 2.5);
    expect(line.text).toBe("hello from the recording");
    expect(timeAt(line, 0)).toBe(1);
    expect(timeAt(line, 7)).toBe(1);
    expect(timeAt(line, 8)).toBe(2.5);
    expect(c.flush()?.text).toBe("next");
    expect(c.flush()).toBeNull();
  });
});

describe("LineCutter limits", () => {
  it("ends a line that never ends at maxLine characters, so memory stays bounded", () => {
    const c = new LineCutter(10);
    expect(c.feed("x".repeat(6), 0)).toEqual([]);
    const lines = c.feed("y".repeat(6), 1);
    expect(lines.map((l) => l.text)).toEqual(["xxxxxxyyyyyy"]);
  });
});
