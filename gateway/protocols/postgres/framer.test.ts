import { describe, expect, it } from "vitest";
import { serialize } from "pg-protocol";
import { MessageFramer } from "./framer";
import { PgError } from "./pg-error";

// A realistic frontend stream: extended-protocol batch, a simple query, a large message.
const stream = Buffer.concat([
  serialize.parse({ name: "s1", text: "select $1::int", types: [] }),
  serialize.bind({ statement: "s1", values: ["42"] }),
  serialize.describe({ type: "P" }),
  serialize.execute({}),
  serialize.sync(),
  serialize.query("select 'ünïcødé' as x; select 2"),
  serialize.query("x".repeat(70_000)),
  serialize.flush(),
]);

function frame(chunks: Buffer[]): { types: string[]; bytes: Buffer } {
  const framer = new MessageFramer(1 << 20);
  const types: string[] = [];
  const out: Buffer[] = [];
  for (const c of chunks) framer.push(c, (type, buf, start, end) => (types.push(String.fromCharCode(type)), out.push(Buffer.from(buf.subarray(start, end)))));
  expect(framer.buffered).toBe(0);
  return { types, bytes: Buffer.concat(out) };
}

const cut = (buf: Buffer, size: number) => Array.from({ length: Math.ceil(buf.length / size) }, (_, i) => buf.subarray(i * size, (i + 1) * size));

describe("[CODEC][FRAMER] whole messages whatever the chunking", () => {
  const whole = frame([stream]);

  it("finds every message of one chunk", () => {
    expect(whole.types).toEqual(["P", "B", "D", "E", "S", "Q", "Q", "H"]);
    expect(whole.bytes.equals(stream)).toBe(true);
  });

  for (const size of [1, 2, 5, 7, 4096]) {
    it(`gives the same messages when cut every ${size} bytes`, () => {
      const r = frame(cut(stream, size));
      expect(r.types).toEqual(whole.types);
      expect(r.bytes.equals(stream)).toBe(true);
    });
  }

  it("hands out views of the chunk for messages inside it (no copy)", () => {
    const framer = new MessageFramer(1 << 20);
    const seen: Buffer[] = [];
    framer.push(stream, (_t, buf) => seen.push(buf));
    expect(seen.every((b) => b === stream)).toBe(true);
  });

  it("rejects lengths below 4 and above the limit with 08P01", () => {
    const bad = (bytes: number[]) => () => new MessageFramer(1000).push(Buffer.from(bytes), () => {});
    expect(bad([0x51, 0, 0, 0, 2])).toThrow(PgError);
    expect(bad([0x51, 0, 0, 0x10, 0])).toThrow(/exceeds the gateway limit of 1000/);
    try {
      bad([0x51, 0xff, 0xff, 0xff, 0xff])();
    } catch (e) {
      expect((e as PgError).code).toBe("08P01");
    }
  });
});

describe("[CODEC][FRAMER] runs of messages that need no look one by one", () => {
  // A result as the target sends it: RowDescription, DataRows, CommandComplete, ReadyForQuery.
  const dataRow = (v: string) => {
    const val = Buffer.from(v);
    const m = Buffer.alloc(11 + val.length);
    m[0] = 0x44;
    m.writeInt32BE(10 + val.length, 1);
    m.writeInt16BE(1, 5);
    m.writeInt32BE(val.length, 7);
    val.copy(m, 11);
    return m;
  };
  const typed = (t: string, body: string) => {
    const b = Buffer.from(body + "\0");
    const m = Buffer.alloc(5 + b.length);
    m[0] = t.charCodeAt(0);
    m.writeInt32BE(4 + b.length, 1);
    b.copy(m, 5);
    return m;
  };
  const rows = Array.from({ length: 50 }, (_, i) => dataRow(`row ${i} ${"x".repeat(i % 7)}`));
  const result = Buffer.concat([typed("T", "fields"), ...rows, typed("C", "SELECT 50"), typed("Z", "")]);

  function frameRuns(chunks: Buffer[], passes: () => boolean) {
    const framer = new MessageFramer(1 << 20);
    const out: Buffer[] = [];
    const events: string[] = [];
    const run = {
      type: 0x44,
      passes,
      visit: (buf: Buffer, start: number, end: number) => (events.push("run"), out.push(Buffer.from(buf.subarray(start, end)))),
    };
    for (const c of chunks) framer.push(c, (type, buf, start, end) => (events.push(String.fromCharCode(type)), out.push(Buffer.from(buf.subarray(start, end)))), run);
    expect(framer.buffered).toBe(0);
    return { out: Buffer.concat(out), events };
  }

  it("hands a chunk's rows over as one range, the other messages one by one", () => {
    const r = frameRuns([result], () => true);
    expect(r.events).toEqual(["T", "run", "C", "Z"]);
    expect(r.out.equals(result)).toBe(true);
  });

  for (const size of [1, 3, 5, 11, 64, 1000]) {
    it(`keeps every byte in order when cut every ${size} bytes (a row cut across chunks comes one by one)`, () => {
      const r = frameRuns(cut(result, size), () => true);
      expect(r.out.equals(result)).toBe(true);
      expect(r.events.filter((e) => e === "D").length + r.events.filter((e) => e === "run").length).toBeGreaterThan(0);
      expect(r.events.filter((e) => e !== "D" && e !== "run")).toEqual(["T", "C", "Z"]);
    });
  }

  it("offers every row when the run does not pass, and asks again at each new run", () => {
    let asked = 0;
    const r = frameRuns([result, result], () => (asked++, false));
    expect(r.events.filter((e) => e === "D")).toHaveLength(100);
    expect(r.events).not.toContain("run");
    expect(asked).toBe(100);
    let n = 0;
    const alternate = frameRuns([result, result], () => n++ % 2 === 0);
    expect(alternate.events).toEqual(["T", "run", "C", "Z", "T", "D", "run", "C", "Z"]);
    expect(alternate.out.equals(Buffer.concat([result, result]))).toBe(true);
  });

  it("still rejects a bad length inside a run", () => {
    const bad = Buffer.concat([rows[0], Buffer.from([0x44, 0, 0, 0, 2])]);
    expect(() => new MessageFramer(1000).push(bad, () => {}, { type: 0x44, passes: () => true, visit: () => {} })).toThrow(/invalid message length 2/);
  });
});
