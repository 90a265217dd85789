// PostgreSQL frontend framing for the embedded database's socket server. No I/O: bytes in,
// frames out, and pure serialisers for the few messages the server writes or injects itself.

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

export type FrontendFrame = { kind: "ssl-request" | "gss-request" | "cancel-request" | "startup"; bytes: Buffer } | { kind: "message"; type: string; bytes: Buffer };

export class ProtocolError extends Error {}

/**
 * Splits one client's byte stream into whole frames: the untyped start-up packets first, then
 * typed messages. A large message arrives in many reads and is copied together once, when complete.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private expected = 0;
  private started = false;

  push(chunk: Buffer): FrontendFrame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: FrontendFrame[] = [];
    for (;;) {
      if (this.expected === 0) {
        const headerLength = this.started ? 5 : 8;
        if (this.buffered < headerLength) break;
        const header = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, headerLength);
        this.expected = this.started ? 1 + header.readInt32BE(1) : header.readInt32BE(0);
        if (this.expected < headerLength) throw new ProtocolError(`invalid message length ${this.expected}`);
      }
      if (this.buffered < this.expected) break;
      frames.push(this.frame(this.take(this.expected)));
      this.expected = 0;
    }
    return frames;
  }

  private take(length: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
    const bytes = all.subarray(0, length);
    this.chunks = all.length > length ? [all.subarray(length)] : [];
    this.buffered -= length;
    return bytes;
  }

  private frame(bytes: Buffer): FrontendFrame {
    if (this.started) return { kind: "message", type: String.fromCharCode(bytes[0]), bytes };
    const code = bytes.readInt32BE(4);
    if (code === SSL_REQUEST) return { kind: "ssl-request", bytes };
    if (code === GSSENC_REQUEST) return { kind: "gss-request", bytes };
    if (code === CANCEL_REQUEST) return { kind: "cancel-request", bytes };
    this.started = true;
    return { kind: "startup", bytes };
  }
}

/** A typed message: type byte, length, body. */
export function message(type: string, body: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, "latin1");
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}

const cstring = (s: string) => Buffer.from(s + "\0", "utf8");

export const syncMessage = (): Buffer => message("S");
export const simpleQuery = (sql: string): Buffer => message("Q", cstring(sql));
export const copyFail = (reason: string): Buffer => message("f", cstring(reason));

/** An ErrorResponse the server sends on its own (too many clients, idle-in-transaction timeout). */
export function errorResponse(severity: "ERROR" | "FATAL", sqlstate: string, text: string): Buffer {
  return message("E", Buffer.concat([cstring(`S${severity}`), cstring(`V${severity}`), cstring(`C${sqlstate}`), cstring(`M${text}`), Buffer.from([0])]));
}

/** Keeps the last `n` bytes of an output stream across chunks. */
export function keepTail(tail: Buffer, chunk: Buffer, n: number): Buffer {
  if (chunk.length >= n) return Buffer.from(chunk.subarray(chunk.length - n));
  const joined = Buffer.concat([tail, chunk]);
  return joined.subarray(Math.max(0, joined.length - n));
}

/**
 * The transaction status of the ReadyForQuery that ends an output stream ('I' idle, 'T' in a
 * transaction, 'E' in a failed one), or undefined when the output does not end with one
 * (the client is mid-batch: Parse/Bind/Execute without Sync yet, or in COPY FROM STDIN).
 * ReadyForQuery is 'Z', length 5, one status byte.
 */
export function readyForQueryStatus(tail: Buffer): "I" | "T" | "E" | undefined {
  if (tail.length !== 6 || tail[0] !== 0x5a || tail.readInt32BE(1) !== 5) return undefined;
  const status = String.fromCharCode(tail[5]);
  return status === "I" || status === "T" || status === "E" ? status : undefined;
}
