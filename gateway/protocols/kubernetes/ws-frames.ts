import { randomBytes } from "node:crypto";

/**
 * Reads WebSocket frames (RFC 6455) out of a byte stream as it passes, without changing it: the
 * payloads of data frames, unmasked, for the exec recording. Codec only, no I/O. A frame larger
 * than `maxFrame` is an error (the relay then cuts the connection rather than relay unrecorded).
 */
export type WsMessage = { opcode: number; payload: Buffer; fin: boolean };

export class WsFrameReader {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxFrame = 16 * 1024 * 1024) {}

  /** Bytes of a frame begun and not finished (0: the stream is between frames). */
  get pending(): number {
    return this.buf.length;
  }

  push(chunk: Buffer): WsMessage[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: WsMessage[] = [];
    for (;;) {
      if (this.buf.length < 2) break;
      const b0 = this.buf[0];
      const b1 = this.buf[1];
      const masked = (b1 & 0x80) !== 0;
      let len = b1 & 0x7f;
      let at = 2;
      if (len === 126) {
        if (this.buf.length < 4) break;
        len = this.buf.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) break;
        const big = this.buf.readBigUInt64BE(2);
        if (big > BigInt(this.maxFrame)) throw new Error(`a WebSocket frame of ${big} bytes is larger than the ${this.maxFrame} the gateway records`);
        len = Number(big);
        at = 10;
      }
      if (len > this.maxFrame) throw new Error(`a WebSocket frame of ${len} bytes is larger than the ${this.maxFrame} the gateway records`);
      const keyAt = at;
      if (masked) at += 4;
      if (this.buf.length < at + len) break;
      const payload = Buffer.from(this.buf.subarray(at, at + len));
      if (masked) for (let i = 0; i < payload.length; i++) payload[i] ^= this.buf[keyAt + (i & 3)];
      out.push({ opcode: b0 & 0x0f, payload, fin: (b0 & 0x80) !== 0 });
      this.buf = this.buf.subarray(at + len);
    }
    return out;
  }
}

/** A WebSocket frame as a server sends it (unmasked, one fragment). Pure. */
export function serverFrame(opcode: number, payload: Buffer): Buffer {
  return frame(opcode, payload, null);
}

/** A WebSocket frame as a client sends it (masked with a fresh key, one fragment). Pure but for the key. */
export function clientFrame(opcode: number, payload: Buffer): Buffer {
  return frame(opcode, payload, randomBytes(4));
}

function frame(opcode: number, payload: Buffer, key: Buffer | null): Buffer {
  const n = payload.length;
  const size = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const head = Buffer.alloc(size + (key ? 4 : 0));
  head[0] = 0x80 | opcode;
  if (n < 126) head[1] = n;
  else if (n < 65536) {
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  if (!key) return Buffer.concat([head, payload]);
  head[1] |= 0x80;
  key.copy(head, size);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3];
  return Buffer.concat([head, body]);
}
