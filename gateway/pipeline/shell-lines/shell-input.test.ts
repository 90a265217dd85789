import { describe, expect, it } from "vitest";
import { ShellInput } from "./shell-input";

const lines = (s: ShellInput, ...chunks: string[]) =>
  chunks
    .flatMap((c) => s.feed(Buffer.from(c, "utf8")))
    .filter((p) => p.line)
    .map((p) => p.line);

describe("ShellInput", () => {
  it("follows typing, backspace, Ctrl-U, Ctrl-W and Ctrl-C, across chunks", () => {
    const s = new ShellInput();
    expect(lines(s, "rm -rx", "\x7ff /tmp/a\r")).toEqual([{ text: "rm -rf /tmp/a", edited: false }]);
    expect(lines(s, "ls\x15echo hi\r")).toEqual([{ text: "echo hi", edited: false }]);
    expect(lines(s, "echo one two\x17three\r")).toEqual([{ text: "echo one three", edited: false }]);
    expect(lines(s, "half\x03", "whole\r")).toEqual([{ text: "whole", edited: false }]);
  });

  it("removes a word with Ctrl-W as the line editor does, blanks after it included", () => {
    for (const [typed, expected] of [
      ["echo a  \x17b\r", "echo b"],
      ["   \x17x\r", "x"],
      ["one\x17\x17two\r", "two"],
    ])
      expect(lines(new ShellInput(), typed), JSON.stringify(typed)).toEqual([{ text: expected, edited: false }]);
  });

  // A stall, not a speed figure: each Ctrl-W searched the whole line from every position (this took 7 s).
  it("reads a long line and as many Ctrl-W in one pass", () => {
    const s = new ShellInput();
    const started = performance.now();
    s.feed(Buffer.from(" a".repeat(20_000)));
    s.feed(Buffer.alloc(20_000, 0x17));
    // The first Ctrl-W takes the last "a", each later one an "a" and the blank after it: one blank is left.
    expect(lines(s, "ls\r")).toEqual([{ text: " ls", edited: false }]);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("marks lines changed by arrows, history or completion as edited", () => {
    const s = new ShellInput();
    expect(lines(s, "\x1b[Arm x\r")).toEqual([{ text: "rm x", edited: true }]);
    expect(lines(s, "rm /tm\t\r")).toEqual([{ text: "rm /tm", edited: true }]);
    expect(lines(s, "ok\r")).toEqual([{ text: "ok", edited: false }]);
  });

  it("takes bracketed pastes and CRLF as typed lines, and UTF-8 whole", () => {
    const s = new ShellInput();
    expect(lines(s, "\x1b[200~echo a\r\nrm -rf b\x1b[201~\r")).toEqual([
      { text: "echo a", edited: false },
      { text: "rm -rf b", edited: false },
    ]);
    expect(lines(s, "echo é€\r")).toEqual([{ text: "echo é€", edited: false }]);
  });

  it("forwards every byte except the Enter it hands over for judging", () => {
    const parts = new ShellInput().feed(Buffer.from("ab\rcd"));
    expect(parts.map((p) => [p.bytes.toString(), !!p.line])).toEqual([
      ["ab", false],
      ["\r", true],
      ["cd", false],
    ]);
  });

  it("without a terminal, reads lines as the shell does: every byte counts, only a newline ends a line", () => {
    const s = new ShellInput(true);
    expect(lines(s, "rm -rf /data \x7f\x7f\x7fecho ok\n")).toEqual([{ text: "rm -rf /data \x7f\x7f\x7fecho ok", edited: false }]);
    expect(lines(s, "echo a\rrm -f x\x1b[A\t\n")).toEqual([{ text: "echo a\rrm -f x\x1b[A\t", edited: false }]);
    s.feed(Buffer.from("tail without newline"));
    expect(s.unfinished).toEqual({ text: "tail without newline", edited: false });
  });
});
