import { describe, expect, it } from "vitest";
import { Duplex } from "node:stream";
import { deflateSync, inflateSync } from "node:zlib";
import { randomBytes } from "node:crypto";
import { ClientNumbering, compressedClient } from "./compressed-stream";

/** A socket stand-in: what is pushed into it is what the client sent; `written` is what the gateway sent back. */
function fakeSocket() {
  const written: Buffer[] = [];
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      written.push(chunk);
      cb();
    },
  });
  return { socket, written };
}

const frame = (seq: number, body: Buffer, plain = 0) => {
  const h = Buffer.alloc(7);
  h.writeUIntLE(body.length, 0, 3);
  h[3] = seq;
  h.writeUIntLE(plain, 4, 3);
  return Buffer.concat([h, body]);
};

/** The frames in what the gateway wrote: their sequence ids and what each carries once inflated. */
function framesOf(bytes: Buffer): Array<{ seq: number; plain: Buffer; deflated: boolean }> {
  const out = [];
  for (let at = 0; at < bytes.length;) {
    const length = bytes.readUIntLE(at, 3);
    const plain = bytes.readUIntLE(at + 4, 3);
    const body = bytes.subarray(at + 7, at + 7 + length);
    out.push({ seq: bytes[at + 3], plain: plain ? inflateSync(body) : body, deflated: plain !== 0 });
    at += 7 + length;
  }
  return out;
}

const readAll = (s: Duplex) => {
  const got: Buffer[] = [];
  s.on("data", (d: Buffer) => got.push(d));
  return got;
};
const tick = () => new Promise((r) => setTimeout(r, 20));
/** Waits (up to 10 s) for what is read to reach `bytes`. */
async function until(got: Buffer[], bytes: number): Promise<void> {
  for (let waited = 0; got.reduce((n, b) => n + b.length, 0) < bytes && waited < 10_000; waited += 20) await tick();
}

describe("the compressed protocol on the client's side", () => {
  it("reads plain and deflated frames split anywhere, and answers from the sequence id after the client's", async () => {
    const { socket, written } = fakeSocket();
    const { stream } = compressedClient(socket, Buffer.alloc(0), 1 << 24, () => expect.fail("not corrupt"));
    const got = readAll(stream);
    const command = Buffer.concat([Buffer.from([33, 0, 0, 0, 3]), Buffer.from("select 'hello, compressed world!!'")]);
    const bytes = Buffer.concat([frame(0, command.subarray(0, 10)), frame(1, deflateSync(command.subarray(10)), command.length - 10)]);
    for (let i = 0; i < bytes.length; i += 3) socket.push(bytes.subarray(i, i + 3));
    await tick();
    expect(Buffer.concat(got)).toEqual(command);
    // Small answers go uncompressed, large compressible ones deflated; one frame per write, numbered on from the client's last.
    stream.write(Buffer.from("ok"));
    stream.write(Buffer.alloc(5000, 0x61));
    await tick();
    const frames = framesOf(Buffer.concat(written));
    expect(frames.map((f) => [f.seq, f.deflated, f.plain.length])).toEqual([
      [2, false, 2],
      [3, true, 5000],
    ]);
    expect(frames[1].plain).toEqual(Buffer.alloc(5000, 0x61));
    // A new command starts again at 0.
    socket.push(frame(0, Buffer.from([1, 0, 0, 0, 14])));
    await tick();
    written.length = 0;
    stream.write(randomBytes(100)); // does not shrink: sent as it is
    await tick();
    expect(framesOf(Buffer.concat(written)).map((f) => [f.seq, f.deflated])).toEqual([[1, false]]);
  });

  it("numbers the answer to a pipelined command from that command's own frame", async () => {
    const { socket, written } = fakeSocket();
    const client = compressedClient(socket, Buffer.alloc(0), 1 << 24, () => expect.fail("not corrupt"));
    readAll(client.stream);
    // Two commands sent before either is answered, each as its frame 0 (the second in two frames).
    const first = Buffer.from([1, 0, 0, 0, 14]);
    const second = Buffer.concat([Buffer.from([6, 0, 0, 0, 3]), Buffer.from("select")]);
    socket.push(Buffer.concat([frame(0, first), frame(0, second.subarray(0, 4)), frame(1, second.subarray(4))]));
    await tick();
    client.answering(first.length);
    client.stream.write(Buffer.from("answer 1"));
    client.stream.write(Buffer.from("answer 1, more"));
    await tick();
    client.answering(first.length + second.length);
    client.stream.write(Buffer.from("answer 2"));
    await tick();
    expect(framesOf(Buffer.concat(written)).map((f) => [f.seq, f.plain.toString()])).toEqual([
      [1, "answer 1"],
      [2, "answer 1, more"],
      [2, "answer 2"],
    ]);
  });

  it("splits what is larger than a frame, and inflates a large frame off the event loop without reordering what follows", async () => {
    const { socket, written } = fakeSocket();
    const { stream } = compressedClient(socket, Buffer.alloc(0), 1 << 25, () => expect.fail("not corrupt"));
    const got = readAll(stream);
    const large = Buffer.alloc(3 << 20, 0x62);
    socket.push(Buffer.concat([frame(0, deflateSync(large), large.length), frame(1, Buffer.from("after"))]));
    await until(got, large.length + 5);
    // Compared with equals(): a failing toEqual would print a diff of megabytes.
    const read = Buffer.concat(got);
    expect([read.length, read.equals(Buffer.concat([large, Buffer.from("after")]))]).toEqual([large.length + 5, true]);
    const huge = randomBytes((16 << 20) + 10);
    stream.write(huge);
    await tick();
    const frames = framesOf(Buffer.concat(written));
    expect(frames.map((f) => [f.seq, f.plain.length])).toEqual([
      [2, 0xffffff],
      [3, huge.length - 0xffffff],
    ]);
    expect(Buffer.concat(frames.map((f) => f.plain)).equals(huge)).toBe(true);
  });

  it("reports a frame that does not inflate, inflates to another length, or is larger than allowed; and reads nothing after", async () => {
    for (const [bytes, why] of [
      [frame(0, Buffer.alloc(16, 0xab), 100), /does not inflate/],
      [frame(0, deflateSync(Buffer.alloc(50, 1)), 60), /inflated to 50 bytes, not the 60/],
      [frame(0, Buffer.alloc(10), 2000), /larger than the gateway allows \(1000 bytes\)/],
    ] as const) {
      const { socket } = fakeSocket();
      const reasons: string[] = [];
      const { stream } = compressedClient(socket, Buffer.alloc(0), 1000, (w) => reasons.push(w));
      const got = readAll(stream);
      socket.push(Buffer.concat([bytes, frame(1, Buffer.from("never read"))]));
      await tick();
      expect(reasons).toHaveLength(1);
      expect(reasons[0]).toMatch(why);
      expect(got).toEqual([]);
    }
  });

  it("numbers a compressed client's packets as a server reads them: commands from 0, a file's packets after the target's request, an exchange's as sent", () => {
    const n = new ClientNumbering();
    const packet = (seq: number, length: number) => ({ seq, lastSeq: seq, payload: Buffer.alloc(length, 1), raw: Buffer.alloc(4 + length) });
    // Connector/J's command numbered 1 is the command's packet 0, its raw bytes dropped (re-framed for the target).
    expect(n.next(packet(1, 10), null, false)).toMatchObject({ seq: 0, lastSeq: 0, raw: null, end: 14 });
    // A payload of 16 MiB - 1 or more takes two parts: 0 and 1.
    expect(n.next(packet(5, 0xffffff), null, false)).toMatchObject({ seq: 0, lastSeq: 1, end: 14 + 0xffffff + 8 });
    // The file's packets go on from where the target's request left off, whatever the client wrote.
    expect(n.next(packet(9, 100), 2, false)).toMatchObject({ seq: 2, lastSeq: 2, raw: null });
    // COM_CHANGE_USER's further packets keep their own ids (the gateway answers them itself).
    expect(n.next(packet(3, 20), null, true)).toMatchObject({ seq: 3, lastSeq: 3 });
  });
});
