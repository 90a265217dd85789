import { PgError } from "./pg-error";
import { SqlState } from "./message-codes";

/** Called once per complete message: bytes [start, end) of `buf` are the whole message, type byte included. */
export type MessageVisitor = (type: number, buf: Buffer, start: number, end: number) => void;

/**
 * A run of messages of one type that need no look one by one (a result's DataRows while nothing
 * masks or counts them): `passes` is asked at the first of a run, in the state the messages before it
 * left; then every whole message of `type` that follows in the chunk goes to `visit` as one range.
 */
export type MessageRun = { type: number; passes: () => boolean; visit: (buf: Buffer, start: number, end: number) => void };

/**
 * Splits a stream of typed protocol messages (type byte + int32 length) into whole messages.
 * No I/O and no copying for messages that lie inside one chunk: the visitor gets a view of the chunk,
 * so a relay can forward untouched runs as they arrived. Only a message cut across chunks is reassembled.
 * Hand-written because pg-protocol's Parser decodes every field of every message (too slow for a relay)
 * and parses backend messages only.
 */
export class MessageFramer {
  private pieces: Buffer[] = [];
  private have = 0;
  private total = -1; // length of the partial message incl. type byte, -1 while its header is incomplete

  constructor(private readonly maxMessageBytes: number) {}

  push(chunk: Buffer, visit: MessageVisitor, run?: MessageRun): void {
    let off = this.have > 0 ? this.fillPartial(chunk, visit) : 0;
    const n = chunk.length;
    while (off + 5 <= n) {
      if (chunk[off] === run?.type && run.passes()) {
        const from = off;
        off = this.skipRun(chunk, off, run.type);
        if (off === from) break; // its first message is cut across chunks: kept below as a partial one
        run.visit(chunk, from, off);
        continue;
      }
      const end = off + 1 + this.checkedLength(chunk.readInt32BE(off + 1));
      if (end > n) break;
      visit(chunk[off], chunk, off, end);
      off = end;
    }
    if (off < n) {
      this.pieces.push(chunk.subarray(off));
      this.have = n - off;
      this.total = this.have >= 5 ? 1 + this.checkedLength(chunk.readInt32BE(off + 1)) : -1;
    }
  }

  /** Drops a partial message (the connection is ending): its bytes are not kept until the relay itself goes. */
  discard(): void {
    this.pieces = [];
    this.have = 0;
    this.total = -1;
  }

  /** Bytes held back waiting for the rest of a message. */
  get buffered(): number {
    return this.have;
  }

  /** The offset after the whole messages of `type` that follow each other from `off` in `chunk`. */
  private skipRun(chunk: Buffer, off: number, type: number): number {
    const n = chunk.length;
    while (off + 5 <= n && chunk[off] === type) {
      const end = off + 1 + this.checkedLength(chunk.readInt32BE(off + 1));
      if (end > n) break;
      off = end;
    }
    return off;
  }

  private checkedLength(len: number): number {
    if (len < 4) throw new PgError("FATAL", SqlState.ProtocolViolation, `invalid message length ${len}`);
    if (len > this.maxMessageBytes) {
      throw new PgError("FATAL", SqlState.ProtocolViolation, `message of ${len} bytes exceeds the gateway limit of ${this.maxMessageBytes}`);
    }
    return len;
  }

  /** Completes the partial message from the front of `chunk`; returns how many bytes of `chunk` it used. */
  private fillPartial(chunk: Buffer, visit: MessageVisitor): number {
    let used = 0;
    if (this.total < 0) {
      used = Math.min(5 - this.have, chunk.length);
      this.pieces.push(chunk.subarray(0, used));
      this.have += used;
      if (this.have < 5) return used;
      const header = Buffer.concat(this.pieces, this.have);
      this.pieces = [header];
      this.total = 1 + this.checkedLength(header.readInt32BE(1));
    }
    const take = Math.min(this.total - this.have, chunk.length - used);
    if (take > 0) this.pieces.push(chunk.subarray(used, used + take));
    this.have += take;
    used += take;
    if (this.have < this.total) return used;
    const msg = this.pieces.length === 1 ? this.pieces[0] : Buffer.concat(this.pieces, this.total);
    this.pieces = [];
    this.have = 0;
    this.total = -1;
    visit(msg[0], msg, 0, msg.length);
    return used;
  }
}
