import { DATE_LIKE_TYPES, FIXED_SIZES, STRING_TYPES } from "./protocol-constants";

/**
 * The MySQL packet layer, hand-written: no npm library implements the server side of the protocol
 * well enough to put in front of production (mysql2's server mode has no caching_sha2 full
 * authentication, no split packets on its way in, and parses what it should relay). Codec only:
 * bytes in, packets out; pure serialisers back. No I/O here.
 *
 * A packet is a 3-byte little-endian payload length, a 1-byte sequence id and the payload. A payload
 * of 16 MiB - 1 bytes or more is split: every part but the last is exactly 0xffffff bytes long and
 * the next part (sequence id + 1) continues it; a last part of 0 bytes ends one that was a multiple.
 */

export const MAX_PART = 0xffffff;

export type Packet = {
  /** Sequence id of its first part. */
  seq: number;
  /** Sequence id of its last part (the same unless it was split). */
  lastSeq: number;
  payload: Buffer;
  /** Header and payload exactly as received, when it came as one part (what a relay forwards untouched). */
  raw: Buffer | null;
  /** Where it ends in the client's plain stream, on a compressed session (relay.ts: renumbered). */
  end?: number;
};

/** A packet beyond the configured limit, or a split packet whose parts are out of sequence. */
export class PacketError extends Error {
  constructor(
    readonly kind: "too-large" | "out-of-order",
    message: string,
  ) {
    super(message);
  }
}

const EMPTY = Buffer.alloc(0);

/** Turns a byte stream into whole (reassembled) packets. One per direction of a connection. */
export class PacketFramer {
  private buf: Buffer = EMPTY;
  private parts: Buffer[] = [];
  private partsBytes = 0;
  private firstSeq = 0;
  private expectSeq = -1;
  // Chunks of a packet whose length is known, kept apart until it is complete (no copy per chunk of a large packet).
  private waiting: Buffer[] = [];
  private waitingBytes = 0;
  private need = 0;

  /** `checkSeq` false: a split packet's parts are not checked for consecutive sequence ids (the compressed protocol, whose servers do not). */
  constructor(
    private readonly maxPacketBytes: number,
    private readonly checkSeq = true,
  ) {}

  /** Bytes received but not yet part of a whole packet. */
  get pending(): number {
    return this.buf.length + this.waitingBytes + this.partsBytes;
  }

  /** Takes what is buffered (for a socket that changes hands, e.g. on a TLS upgrade). */
  takeRest(): Buffer {
    const rest = Buffer.concat([this.buf, ...this.waiting]);
    this.buf = EMPTY;
    this.waiting = [];
    this.waitingBytes = 0;
    return rest;
  }

  push(chunk: Buffer): Packet[] {
    if (this.need > 0 && this.buf.length + this.waitingBytes + chunk.length < this.need) {
      this.waiting.push(chunk);
      this.waitingBytes += chunk.length;
      return [];
    }
    this.buf = this.buf.length || this.waiting.length ? Buffer.concat([this.buf, ...this.waiting, chunk]) : chunk;
    this.waiting = [];
    this.waitingBytes = 0;
    this.need = 0;
    const out: Packet[] = [];
    let pos = 0;
    while (this.buf.length - pos >= 4) {
      const len = this.buf[pos] | (this.buf[pos + 1] << 8) | (this.buf[pos + 2] << 16);
      const seq = this.buf[pos + 3];
      if (this.partsBytes + len > this.maxPacketBytes) throw new PacketError("too-large", `a packet is bigger than the gateway's limit of ${this.maxPacketBytes} bytes`);
      if (this.checkSeq && this.expectSeq >= 0 && seq !== this.expectSeq) throw new PacketError("out-of-order", `a split packet's part came with sequence id ${seq}, expected ${this.expectSeq}`);
      if (this.buf.length - pos - 4 < len) {
        this.need = 4 + len;
        break;
      }
      const payload = this.buf.subarray(pos + 4, pos + 4 + len);
      const raw = this.buf.subarray(pos, pos + 4 + len);
      pos += 4 + len;
      if (len === MAX_PART) {
        if (this.expectSeq < 0) this.firstSeq = seq;
        this.parts.push(Buffer.from(payload));
        this.partsBytes += len;
        this.expectSeq = (seq + 1) & 0xff;
        continue;
      }
      if (this.expectSeq >= 0) {
        this.parts.push(payload);
        out.push({ seq: this.firstSeq, lastSeq: seq, payload: Buffer.concat(this.parts), raw: null });
        this.parts = [];
        this.partsBytes = 0;
        this.expectSeq = -1;
      } else out.push({ seq, lastSeq: seq, payload, raw });
    }
    this.buf = pos === this.buf.length ? EMPTY : this.buf.subarray(pos);
    return out;
  }
}

/** A payload as one or more packets from sequence id `seq`; `next` is the id after the last part. */
export function framePacket(payload: Buffer, seq: number): { bytes: Buffer; next: number } {
  if (payload.length < MAX_PART) {
    const header = Buffer.allocUnsafe(4);
    header.writeUIntLE(payload.length, 0, 3);
    header[3] = seq & 0xff;
    return { bytes: Buffer.concat([header, payload]), next: (seq + 1) & 0xff };
  }
  const chunks: Buffer[] = [];
  let s = seq;
  for (let off = 0; ; off += MAX_PART) {
    const part = payload.subarray(off, off + MAX_PART);
    const header = Buffer.allocUnsafe(4);
    header.writeUIntLE(part.length, 0, 3);
    header[3] = s & 0xff;
    chunks.push(header, part);
    s = (s + 1) & 0xff;
    if (part.length < MAX_PART) break;
  }
  return { bytes: Buffer.concat(chunks), next: s };
}

/** How many packets `framePacket` makes of a payload this long. */
export const partsOf = (length: number) => Math.floor(length / MAX_PART) + 1;

/** Reads the protocol's primitives from a payload. Throws RangeError past the end (a malformed packet). */
export class Cursor {
  constructor(
    readonly buf: Buffer,
    public pos = 0,
  ) {}

  get left(): number {
    return this.buf.length - this.pos;
  }
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new RangeError("malformed packet: it ends early");
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  rest(): Buffer {
    const b = this.buf.subarray(this.pos);
    this.pos = this.buf.length;
    return b;
  }
  /** A length-encoded integer; null for 0xfb (NULL in a text row). */
  lenenc(): number | null {
    const first = this.u8();
    if (first < 0xfb) return first;
    if (first === 0xfb) return null;
    if (first === 0xfc) return this.u16();
    if (first === 0xfd) {
      this.need(3);
      const v = this.buf.readUIntLE(this.pos, 3);
      this.pos += 3;
      return v;
    }
    if (first === 0xfe) {
      this.need(8);
      const v = Number(this.buf.readBigUInt64LE(this.pos));
      this.pos += 8;
      return v;
    }
    throw new RangeError("malformed packet: bad length prefix 0xff");
  }
  lenencBytes(): Buffer | null {
    const n = this.lenenc();
    return n === null ? null : this.bytes(n);
  }
  lenencString(): string {
    return (this.lenencBytes() ?? EMPTY).toString("utf8");
  }
  /** A NUL-terminated string (to the end when there is no NUL). */
  nulString(): string {
    let end = this.buf.indexOf(0, this.pos);
    if (end < 0) end = this.buf.length;
    const s = this.buf.toString("utf8", this.pos, end);
    this.pos = Math.min(end + 1, this.buf.length);
    return s;
  }
}

export function lenencInt(n: number): Buffer {
  if (n < 0xfb) return Buffer.from([n]);
  if (n < 0x10000) return Buffer.from([0xfc, n & 0xff, n >> 8]);
  if (n < 0x1000000) return Buffer.from([0xfd, n & 0xff, (n >> 8) & 0xff, n >> 16]);
  const b = Buffer.alloc(9);
  b[0] = 0xfe;
  b.writeBigUInt64LE(BigInt(n), 1);
  return b;
}

export const lenencBytes = (b: Buffer): Buffer => Buffer.concat([lenencInt(b.length), b]);
export const nulString = (s: string): Buffer => Buffer.concat([Buffer.from(s, "utf8"), Buffer.from([0])]);

/**
 * Moves the cursor past one binary-protocol value of a column or parameter type (a row's, an
 * execute's): where the value's own bytes start (after a string's length), or null for a type whose
 * size cannot be told (the cursor then stays where it was).
 */
export function skipBinaryValue(c: Cursor, type: number): number | null {
  if (STRING_TYPES.has(type)) {
    const len = c.lenenc() ?? 0;
    const start = c.pos;
    c.skip(len);
    return start;
  }
  const fixed = FIXED_SIZES[type];
  if (fixed !== undefined) {
    c.skip(fixed);
    return c.pos - fixed;
  }
  if (!DATE_LIKE_TYPES.has(type)) return null;
  const len = c.u8();
  c.skip(len);
  return c.pos - len;
}
