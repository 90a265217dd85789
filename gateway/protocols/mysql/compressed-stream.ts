import { Duplex } from "node:stream";
import { constants, deflateSync, inflate, inflateSync } from "node:zlib";
import { partsOf, type Packet } from "./packet-codec";

/** A compressed frame's header: its payload's length (3 bytes), its sequence id, the length before compression (3; 0: not compressed). */
const HEADER = 7;
/** Payloads shorter than this go uncompressed (deflate would not shrink them), as the servers and drivers send them. */
const MIN_COMPRESS = 50;
/** The most a frame carries: its length before compression is a 3-byte field. */
const MAX_FRAME = 0xffffff;
/** Frames that inflate to more than this are inflated on the thread pool, so that one client's large upload does not stall the others. */
const MAX_SYNC_INFLATE = 64 * 1024;
/** How many frames' ends are kept for numbering answers (a long LOAD DATA LOCAL upload sends many frames and no command). */
const MAX_FRAME_ENDS = 1024;

/**
 * MySQL's compressed protocol (CLIENT_COMPRESS) on the client's side of a session, as a stream of the
 * plain packet bytes the relay reads and writes. Written by hand: the drivers implement the client's
 * side only, and no library serves it. Each frame carries any run of packet bytes, deflated when that
 * shrinks them; frames have their own sequence ids, which the client starts at 0 with each command and
 * the gateway's answers continue. The target's side stays uncompressed (the gateway reads every packet).
 *
 * `corrupt` is told, once, when the client sends a frame that does not inflate to the length it
 * announces or is larger than `maxFrameBytes`; nothing it sends after is read.
 */
export function compressedClient(socket: Duplex, leftover: Buffer, maxFrameBytes: number, corrupt: (why: string) => void): CompressedClient {
  let seq = 0;
  // The frames read, by where their bytes end in the plain stream: a command's answer continues from the frame that ended it.
  const frameEnds: Array<{ end: number; seq: number }> = [];
  let delivered = 0;
  // What was read and not yet taken as frames: `input`, joined, and the chunks after it, joined only once a whole
  // frame is there (joining at every chunk copied a 16 MiB frame sent in 64 KiB pieces hundreds of times over).
  let input: Buffer = Buffer.alloc(0);
  let chunks: Buffer[] = [];
  let buffered = 0;
  const have = (n: number): boolean => {
    if (input.length >= n) return true;
    if (input.length + buffered < n) return false;
    input = Buffer.concat([input, ...chunks]);
    chunks = [];
    buffered = 0;
    return true;
  };
  let inflating = false;
  let failed = false;
  let ended = false;

  const frame = (piece: Buffer): Buffer[] => {
    const deflated = piece.length >= MIN_COMPRESS ? deflateSync(piece, { level: constants.Z_BEST_SPEED }) : null;
    const body = deflated && deflated.length < piece.length ? deflated : piece;
    const header = Buffer.allocUnsafe(HEADER);
    header.writeUIntLE(body.length, 0, 3);
    header[3] = seq;
    header.writeUIntLE(body === piece ? 0 : piece.length, 4, 3);
    seq = (seq + 1) & 0xff;
    return [header, body];
  };
  const frames = (data: Buffer): Buffer => {
    const out: Buffer[] = [];
    for (let at = 0; at < data.length; at += MAX_FRAME) out.push(...frame(data.subarray(at, at + MAX_FRAME)));
    return Buffer.concat(out);
  };
  const send = (data: Buffer, cb: (err?: Error | null) => void) => {
    if (!data.length || !socket.writable) return cb();
    if (socket.write(frames(data))) cb();
    else socket.once("drain", () => cb());
  };

  const wrapped = new Duplex({
    read() {
      if (!inflating && !failed) socket.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      send(chunk, cb);
    },
    // What the relay wrote in one turn goes out as one frame.
    writev(chunks, cb) {
      send(Buffer.concat(chunks.map((c) => c.chunk as Buffer)), cb);
    },
    final(cb) {
      socket.end();
      cb();
    },
    destroy(err, cb) {
      socket.destroy();
      cb(err);
    },
  });

  const fail = (why: string) => {
    if (failed) return;
    failed = true;
    input = Buffer.alloc(0);
    chunks = [];
    buffered = 0;
    socket.pause();
    corrupt(why);
  };
  const deliver = (payload: Buffer, frameSeq: number) => {
    delivered += payload.length;
    if (frameEnds.length >= MAX_FRAME_ENDS) frameEnds.shift();
    frameEnds.push({ end: delivered, seq: frameSeq });
    if (!wrapped.push(payload)) socket.pause();
  };
  /** Reads the whole frames buffered, in order; a large deflated one is inflated off the event loop, and reading resumes after it. */
  const drain = () => {
    while (!failed && !inflating && have(HEADER)) {
      const length = input.readUIntLE(0, 3);
      const plain = input.readUIntLE(4, 3);
      if (length > maxFrameBytes || plain > maxFrameBytes) return fail(`a compressed frame larger than the gateway allows (${maxFrameBytes} bytes)`);
      if (!have(HEADER + length)) return;
      const frameSeq = input[3];
      seq = (frameSeq + 1) & 0xff;
      const body = input.subarray(HEADER, HEADER + length);
      input = input.subarray(HEADER + length);
      if (plain === 0) {
        deliver(body, frameSeq);
        continue;
      }
      const check = (out: Buffer) => (out.length === plain ? true : (fail(`a compressed frame inflated to ${out.length} bytes, not the ${plain} it announced`), false));
      if (plain <= MAX_SYNC_INFLATE) {
        let out: Buffer;
        try {
          out = inflateSync(body, { maxOutputLength: plain });
        } catch (err) {
          return fail(`a compressed frame that does not inflate (${(err as Error).message})`);
        }
        if (check(out)) deliver(out, frameSeq);
        continue;
      }
      inflating = true;
      socket.pause();
      inflate(body, { maxOutputLength: plain }, (err, out) => {
        inflating = false;
        if (err) return fail(`a compressed frame that does not inflate (${err.message})`);
        if (!check(out)) return;
        deliver(out, frameSeq);
        drain();
        if (failed || inflating) return;
        if (ended) wrapped.push(null);
        else if (wrapped.readableLength < wrapped.readableHighWaterMark) socket.resume();
      });
    }
  };
  const onData = (d: Buffer) => {
    if (failed) return;
    if (input.length === 0 && buffered === 0) input = d;
    else {
      chunks.push(d);
      buffered += d.length;
    }
    drain();
  };

  socket.on("data", onData);
  // The client's last frames are read before the end (one may still be inflating).
  socket.on("end", () => {
    ended = true;
    if (!inflating) wrapped.push(null);
  });
  socket.on("close", () => wrapped.destroy());
  socket.on("error", (e) => wrapped.destroy(e));
  if (leftover.length) onData(leftover);
  return {
    stream: wrapped,
    answering(end) {
      // A pipelined command was read while the one before it was answered: its answer restarts from its own frame.
      while (frameEnds.length > 1 && frameEnds[0].end < end) frameEnds.shift();
      if (frameEnds.length && frameEnds[0].end >= end) seq = (frameEnds[0].seq + 1) & 0xff;
    },
  };
}

export type CompressedClient = {
  /** The plain packet bytes the client sends, and the stream the gateway writes them to. */
  stream: Duplex;
  /** The relay starts answering the command whose bytes end at `end` (an offset in the plain stream): the frames it writes are numbered on from that command's last frame. */
  answering: (end: number) => void;
};

/**
 * A compressed client's packets as the relay reads them. Servers do not read the sequence ids of the packets inside
 * compressed frames (MariaDB Connector/J numbers some commands 1), and neither does the gateway: a command is packet 0
 * (its split parts on from there), a LOAD DATA LOCAL file's packets follow the target's request (the target's side is
 * not compressed and checks them), a command's own further packets (COM_CHANGE_USER's) keep theirs. Each carries where
 * it ends in the plain stream, for CompressedClient.answering.
 */
export class ClientNumbering {
  private offset = 0;

  /** `infileSeq`: the id the target expects the file's next packet at, while a file is sent; `exchange`: a command's own further packet. */
  next(p: Packet, infileSeq: number | null, exchange: boolean): Packet {
    const parts = partsOf(p.payload.length);
    this.offset += p.payload.length + 4 * parts;
    if (exchange && infileSeq === null) return { ...p, end: this.offset };
    const seq = infileSeq ?? 0;
    return { seq, lastSeq: (seq + parts - 1) & 0xff, payload: p.payload, raw: null, end: this.offset };
  }
}
