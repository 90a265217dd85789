import { describe, expect, it } from "vitest";
import { Cursor, MAX_PART, PacketError, PacketFramer, framePacket, lenencInt } from "./packet-codec";

const packets = (framer: PacketFramer, bytes: Buffer, cut: number) => {
  const out = [];
  for (let i = 0; i < bytes.length; i += cut) out.push(...framer.push(bytes.subarray(i, i + cut)));
  return out;
};

describe("MySQL packet framing", () => {
  it("reassembles packets cut at 1, 2 and 5 bytes and across packet boundaries", () => {
    const stream = Buffer.concat([framePacket(Buffer.from("\x03select 1"), 0).bytes, framePacket(Buffer.alloc(0), 1).bytes, framePacket(Buffer.from("abc"), 2).bytes]);
    for (const cut of [1, 2, 5, stream.length]) {
      const got = packets(new PacketFramer(1 << 20), stream, cut);
      expect(got.map((p) => [p.seq, p.payload.toString("latin1")])).toEqual([
        [0, "\x03select 1"],
        [1, ""],
        [2, "abc"],
      ]);
    }
  });

  it("splits a payload of 16 MiB or more into 0xffffff-byte parts and joins them back, with their sequence ids", () => {
    for (const size of [MAX_PART - 1, MAX_PART, MAX_PART + 10]) {
      const payload = Buffer.alloc(size, 7);
      payload[size - 1] = 9;
      const { bytes, next } = framePacket(payload, 5);
      const parts = size < MAX_PART ? 1 : 2;
      expect(next).toBe(5 + parts);
      const [p] = packets(new PacketFramer(64 << 20), bytes, 1 << 20);
      expect(p.payload.equals(payload)).toBe(true);
      expect([p.seq, p.lastSeq]).toEqual([5, 5 + parts - 1]);
      expect(p.raw === null).toBe(parts > 1);
    }
  });

  it("refuses a packet over the limit as soon as its header says so, and split parts out of sequence", () => {
    const header = Buffer.from([0xff, 0xff, 0x7f, 0]);
    expect(() => new PacketFramer(1 << 20).push(header)).toThrow(PacketError);
    const first = framePacket(Buffer.alloc(MAX_PART), 0).bytes.subarray(0, 4 + MAX_PART);
    const wrong = Buffer.from([1, 0, 0, 7, 0x41]);
    expect(() => new PacketFramer(64 << 20).push(Buffer.concat([first, wrong]))).toThrow(/sequence id 7, expected 1/);
  });

  it("reads and writes length-encoded integers", () => {
    for (const n of [0, 250, 251, 65535, 65536, 0xffffff, 0x1000000]) expect(new Cursor(lenencInt(n)).lenenc()).toBe(n);
    expect(new Cursor(Buffer.from([0xfb])).lenenc()).toBeNull();
    expect(() => new Cursor(Buffer.from([0xfc, 1])).lenenc()).toThrow(RangeError);
  });
});
