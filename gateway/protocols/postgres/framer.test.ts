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
