import { describe, expect, it } from "vitest";
import { createLogSink, logLine } from "./log-sink";

const at = new Date("2026-12-02T10:00:00.000Z");

describe("the gateway's log lines", () => {
  it("are one JSON object per line with time, level, instance and msg", () => {
    const line = logLine({ time: at, level: "info", instance: "gw-1", msg: "postgres listener on 127.0.0.1:15432" });
    expect(line).toBe('{"time":"2026-12-02T10:00:00.000Z","level":"info","instance":"gw-1","msg":"postgres listener on 127.0.0.1:15432"}\n');
    expect(JSON.parse(line)).toEqual({ time: at.toISOString(), level: "info", instance: "gw-1", msg: "postgres listener on 127.0.0.1:15432" });
  });

  it("keep a message with line breaks and other control characters on one line, escaped, and give it back exactly", () => {
    const msg = 'name "x"\nFORGED LINE: audit disabled\r\n\u001b[2J\u0000\u007f\u009b\u2028\u2029\\end';
    const line = logLine({ time: at, level: "warn", instance: "gw\n2", msg });
    expect(line.endsWith("\n")).toBe(true);
    const raw = [...line.slice(0, -1)].filter((ch) => ch.charCodeAt(0) < 0x20 || (ch.charCodeAt(0) >= 0x7f && ch.charCodeAt(0) <= 0x9f) || ch === "\u2028" || ch === "\u2029");
    expect(raw).toEqual([]);
    expect(line).toContain("\\nFORGED LINE");
    expect(JSON.parse(line)).toMatchObject({ msg, instance: "gw\n2", level: "warn" });
  });

  it("default to level info and write whole lines to the sink", () => {
    const lines: string[] = [];
    const log = createLogSink("gw-1", (l) => lines.push(l));
    log("a\nb");
    log("oops", "error");
    expect(lines.map((l) => JSON.parse(l))).toMatchObject([
      { level: "info", msg: "a\nb" },
      { level: "error", msg: "oops" },
    ]);
    expect(lines.every((l) => l.indexOf("\n") === l.length - 1)).toBe(true);
  });
});
