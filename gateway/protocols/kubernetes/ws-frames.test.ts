import { describe, expect, it } from "vitest";
import { clientFrame, serverFrame, WsFrameReader } from "./ws-frames";

/** A binary frame, masked as a client sends it or bare as a server does. */
function frame(payload: Buffer, mask: boolean, fin = true): Buffer {
  const len = payload.length;
  const head =
    len < 126
      ? Buffer.from([fin ? 0x82 : 0x02, len])
      : len < 65536
        ? Buffer.from([fin ? 0x82 : 0x02, 126, len >> 8, len & 255])
        : Buffer.concat([Buffer.from([fin ? 0x82 : 0x02, 127]), Buffer.alloc(8)]);
  if (len >= 65536) head.writeBigUInt64BE(BigInt(len), 2);
  if (!mask) return Buffer.concat([head, payload]);
  head[1] |= 0x80;
  const key = Buffer.from([1, 2, 3, 4]);
  const body = Buffer.from(payload.map((b, i) => b ^ key[i & 3]));
  return Buffer.concat([head, key, body]);
}

describe("WsFrameReader reads the frames of an exec stream whatever the packets cut", () => {
  const payloads = [Buffer.from("\x01hello\n"), Buffer.alloc(300, 0x41), Buffer.alloc(70_000, 0x42), Buffer.from("\x00typed")];
  for (const mask of [true, false]) {
    it(`${mask ? "masked (client)" : "bare (server)"} frames, cut at 1, 2, 5 bytes and across frames`, () => {
      const stream = Buffer.concat(payloads.map((p) => frame(p, mask)));
      for (const cut of [1, 2, 5, 1000, stream.length]) {
        const r = new WsFrameReader();
        const got: Buffer[] = [];
        for (let i = 0; i < stream.length; i += cut) for (const m of r.push(stream.subarray(i, i + cut))) got.push(m.payload);
        expect(got.map((b) => b.toString("hex"))).toEqual(payloads.map((b) => b.toString("hex")));
      }
    });
  }

  it("refuses a frame larger than it records, before reading it", () => {
    expect(() => new WsFrameReader(1024).push(frame(Buffer.alloc(2000), true).subarray(0, 10))).toThrow(/larger than the 1024/);
  });

  it("writes frames it reads back: a client's masked, a server's bare, at each length encoding", () => {
    for (const size of [0, 125, 126, 65535, 65536]) {
      const payload = Buffer.alloc(size, 0x5a);
      const masked = clientFrame(0x2, payload);
      const bare = serverFrame(0x2, payload);
      expect(masked[1] & 0x80).toBe(0x80);
      expect(bare[1] & 0x80).toBe(0);
      expect(masked.length).toBe(bare.length + 4);
      for (const f of [masked, bare]) expect(new WsFrameReader().push(f)).toEqual([{ opcode: 2, payload, fin: true }]);
    }
  });
});
