import { Duplex } from "node:stream";
import { EventEmitter } from "node:events";
import type WebSocket from "ws";
import type { ConnectorLogin } from "./dial";

/**
 * Many TCP streams over one WebSocket, between the gateway and a connector (the connector's side is
 * connector-process.ts; the gateway's is connector-hub.ts). Hand-written: it is a few frame types,
 * and the libraries that multiplex (yamux, HTTP/2) would each need a second protocol inside the
 * WebSocket with no gain here.
 *
 * Each WebSocket binary message is one frame: type (u8), stream id (u32 BE), payload. Only the
 * gateway opens streams. Flow control is per stream and credit based, as in HTTP/2: a sender may
 * have at most WINDOW unacknowledged bytes in flight on a stream, and the receiver grants credit back
 * only once its reader has consumed the bytes (so a client that stops reading a large result stops
 * that stream alone, and the other streams on the socket keep moving).
 */
export const FrameType = { Hello: 1, Welcome: 2, Open: 3, Opened: 4, OpenFailed: 5, Data: 6, Credit: 7, End: 8, Reset: 9 } as const;
type FrameTypeValue = (typeof FrameType)[keyof typeof FrameType];

export const WINDOW = 256 * 1024;
const MAX_FRAME_DATA = 32 * 1024;
const GRANT_AT = WINDOW / 4;
const OPEN_TIMEOUT_MS = 15_000;
/** The version of this framing; a peer with another major version is refused at hello. */
export const MUX_VERSION = 1;

export type OpenRequest = { host: string; port: number; connection: string; login?: ConnectorLogin };

export function frame(type: FrameTypeValue, stream: number, payload?: Buffer | string): Buffer {
  const body = payload === undefined ? Buffer.alloc(0) : typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = type;
  out.writeUInt32BE(stream, 1);
  body.copy(out, 5);
  return out;
}

/** One stream: a Duplex whose writes wait for the peer's credit and whose reads grant it back. */
export class MuxStream extends Duplex {
  private credit = WINDOW;
  private received = 0;
  private granted = 0;
  private waiting: { chunk: Buffer; cb: (err?: Error | null) => void } | null = null;
  private peerReset = false;
  readonly remoteAddress: string | undefined = undefined;

  constructor(
    readonly id: number,
    private readonly mux: Mux,
  ) {
    super({ allowHalfOpen: true });
    // A stream reset before its user listens (between Opened and the caller's handlers, or while the
    // connector still dials) must not take the process down: users still get "error" when they listen.
    this.on("error", () => {});
  }

  // What callers of a net.Socket call on it: nothing to do on a stream (the WebSocket's socket has its own).
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  /** As net.Socket's: "timeout" after `ms` without a byte either way (0: off). */
  setTimeout(ms: number, onTimeout?: () => void): this {
    if (onTimeout) this.once("timeout", onTimeout);
    this.idleMs = ms;
    this.touch();
    return this;
  }
  private idleMs = 0;
  private idleTimer?: NodeJS.Timeout;
  private touch(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.idleMs > 0 && !this.destroyed) {
      this.idleTimer = setTimeout(() => this.emit("timeout"), this.idleMs);
      this.idleTimer.unref();
    }
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.idleMs) this.touch();
    this.sendSome(chunk, cb);
  }

  private sendSome(chunk: Buffer, cb: (err?: Error | null) => void): void {
    let rest = chunk;
    while (rest.length && this.credit > 0) {
      const n = Math.min(rest.length, this.credit, MAX_FRAME_DATA);
      if (!this.mux.send(frame(FrameType.Data, this.id, rest.subarray(0, n)))) return cb(new Error("the connector link is closed"));
      this.credit -= n;
      rest = rest.subarray(n);
    }
    if (rest.length) this.waiting = { chunk: rest, cb };
    else cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.mux.send(frame(FrameType.End, this.id));
    cb();
  }

  override _read(): void {
    this.grant();
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    // Both directions ended as they should: nothing to tell. Otherwise the peer drops its end too.
    const clean = !err && this.readableEnded && this.writableFinished;
    if (!this.peerReset && !clean) this.mux.send(frame(FrameType.Reset, this.id, err?.message ?? "closed"));
    this.mux.forget(this.id);
    const w = this.waiting;
    this.waiting = null;
    w?.cb(err ?? new Error("stream closed"));
    cb(err);
  }

  /** Credit back for what the reader has taken out of the buffer (not for what merely arrived). */
  private grant(): void {
    const consumed = this.received - this.readableLength;
    const owed = consumed - this.granted;
    if (owed >= GRANT_AT || (owed > 0 && this.readableLength === 0)) {
      this.granted += owed;
      this.mux.send(frame(FrameType.Credit, this.id, u32(owed)));
    }
  }

  /** @internal frames the mux routes here */
  onData(data: Buffer): void {
    if (this.idleMs) this.touch();
    this.received += data.length;
    // A peer that sends past its credit is broken or hostile: the stream is reset, the rest untouched.
    if (this.received - this.granted > WINDOW) return void this.destroy(new Error("the peer sent more than its flow-control window"));
    this.push(data);
    this.grant();
  }
  onCredit(n: number): void {
    this.credit += n;
    const w = this.waiting;
    if (w && this.credit > 0) {
      this.waiting = null;
      this.sendSome(w.chunk, w.cb);
    }
  }
  onEnd(): void {
    this.push(null);
  }
  onReset(reason: string): void {
    this.peerReset = true;
    this.destroy(new Error(reason));
  }
}

const u32 = (n: number) => {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

type PendingOpen = { stream: MuxStream; resolve: (s: MuxStream) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

/**
 * The frames on one WebSocket. The gateway calls open(); the connector listens for "open" and
 * answers accept() or refuse(). "hello" / "welcome" carry each side's JSON greeting; "close" fires
 * once, with the reason, after every stream on the link has been failed with it.
 */
export class Mux extends EventEmitter {
  private readonly streams = new Map<number, MuxStream>();
  private readonly pending = new Map<number, PendingOpen>();
  private nextId = 1;
  private closed: string | null = null;
  opened = 0;

  constructor(
    private readonly ws: WebSocket,
    /** Only the connector accepts Open frames (a gateway never dials for its connector), only the gateway Hello. */
    private readonly role: "gateway" | "connector",
  ) {
    super();
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return this.close("the peer sent a text frame");
      this.onFrame(Buffer.isBuffer(data) ? data : Buffer.concat(data as unknown as Buffer[]));
    });
    ws.on("close", (code: number, reason: Buffer) => this.close(reason.toString() || `the link closed (${code})`));
    ws.on("error", (err: Error) => this.close(err.message));
  }

  get openStreams(): number {
    return this.streams.size;
  }

  send(f: Buffer): boolean {
    if (this.closed !== null || this.ws.readyState !== 1) return false;
    this.ws.send(f, { binary: true });
    return true;
  }

  ping(): void {
    if (this.closed === null && this.ws.readyState === 1) this.ws.ping();
  }

  hello(kind: "hello" | "welcome", body: object): void {
    this.send(frame(kind === "hello" ? FrameType.Hello : FrameType.Welcome, 0, JSON.stringify(body)));
  }

  /** Gateway side: a new stream to host:port as the connector dials it; rejects with the connector's reason. */
  open(req: OpenRequest): Promise<MuxStream> {
    if (this.closed !== null) return Promise.reject(new Error(`the connector link is closed: ${this.closed}`));
    const id = this.nextId++;
    const stream = new MuxStream(id, this);
    this.streams.set(id, stream);
    this.opened++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.failOpen(id, `the connector did not answer within ${OPEN_TIMEOUT_MS / 1000} s`), OPEN_TIMEOUT_MS);
      this.pending.set(id, { stream, resolve, reject, timer });
      this.send(frame(FrameType.Open, id, JSON.stringify(req)));
    });
  }

  /** Connector side: the dial succeeded; data flows. */
  accept(stream: MuxStream): void {
    this.send(frame(FrameType.Opened, stream.id));
  }
  /** Connector side: the dial failed; the gateway's client is told why. */
  refuse(stream: MuxStream, reason: string): void {
    this.send(frame(FrameType.OpenFailed, stream.id, reason));
    this.streams.delete(stream.id);
  }

  forget(id: number): void {
    this.streams.delete(id);
  }

  /** Fails every stream and open with the reason, and closes the socket. */
  close(reason: string): void {
    if (this.closed !== null) return;
    this.closed = reason;
    for (const id of [...this.pending.keys()]) this.failOpen(id, reason);
    for (const s of [...this.streams.values()]) s.onReset(`the connector link was lost (${reason})`);
    this.streams.clear();
    try {
      this.ws.close(1000, reason.slice(0, 120));
    } catch {
      this.ws.terminate();
    }
    this.emit("close", reason);
  }

  get isClosed(): boolean {
    return this.closed !== null;
  }

  private failOpen(id: number, reason: string): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    this.streams.delete(id);
    p.reject(new Error(reason));
  }

  private onFrame(f: Buffer): void {
    if (f.length < 5) return this.close("the peer sent a frame shorter than its header");
    const type = f[0];
    const id = f.readUInt32BE(1);
    const body = f.subarray(5);
    switch (type) {
      case FrameType.Hello:
      case FrameType.Welcome: {
        if ((type === FrameType.Hello) !== (this.role === "gateway")) return this.close("the peer sent a greeting meant for the other side");
        let msg: unknown;
        try {
          msg = JSON.parse(body.toString("utf8"));
        } catch {
          return this.close("the peer's greeting is not JSON");
        }
        return void this.emit(type === FrameType.Hello ? "hello" : "welcome", msg);
      }
      case FrameType.Open: {
        if (this.role !== "connector") return this.close("a connector may not open streams to the gateway");
        if (this.streams.has(id)) return this.close("the peer reused a stream id");
        let req: OpenRequest;
        try {
          req = JSON.parse(body.toString("utf8")) as OpenRequest;
        } catch {
          return void this.send(frame(FrameType.OpenFailed, id, "the open request is not JSON"));
        }
        const stream = new MuxStream(id, this);
        this.streams.set(id, stream);
        this.opened++;
        return void this.emit("open", stream, req);
      }
      case FrameType.Opened: {
        const p = this.pending.get(id);
        if (!p) return;
        this.pending.delete(id);
        clearTimeout(p.timer);
        return p.resolve(p.stream);
      }
      case FrameType.OpenFailed:
        return this.failOpen(id, body.toString("utf8") || "the connector could not reach the target");
      case FrameType.Data:
        return this.streams.get(id)?.onData(body);
      case FrameType.Credit:
        if (body.length !== 4) return this.close("a credit frame of the wrong size");
        return this.streams.get(id)?.onCredit(body.readUInt32BE(0));
      case FrameType.End:
        return this.streams.get(id)?.onEnd();
      case FrameType.Reset: {
        const s = this.streams.get(id);
        if (s) s.onReset(body.toString("utf8") || "the peer reset the stream");
        else this.failOpen(id, body.toString("utf8"));
        return;
      }
      default:
        return this.close(`the peer sent an unknown frame type ${type}`);
    }
  }
}
