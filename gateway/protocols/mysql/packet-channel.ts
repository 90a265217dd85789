import { Duplex } from "node:stream";
import { PacketFramer, framePacket, type Packet } from "./packet-codec";

/**
 * Packets from a socket, one at a time, for the login exchanges (each side's handshake): the relay
 * takes the socket over afterwards with whatever was read beyond the last packet (`release`).
 */
export class PacketChannel {
  private readonly framer: PacketFramer;
  private readonly queue: Packet[] = [];
  private waiter: { resolve: (p: Packet) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;
  private readonly onData = (d: Buffer) => {
    try {
      for (const p of this.framer.push(d)) this.deliver(p);
    } catch (err) {
      this.fail(err as Error);
    }
  };
  private readonly onEnd = () => this.fail(new Error("the connection closed"));
  private readonly onError = (e: Error) => this.fail(e);

  constructor(
    readonly socket: Duplex,
    maxPacketBytes: number,
  ) {
    this.framer = new PacketFramer(maxPacketBytes);
    socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    socket.on("close", this.onEnd);
    socket.on("error", this.onError);
  }

  /** The next packet; rejects when the socket ends, errs, sends a malformed stream, or after `timeoutMs`. */
  next(timeoutMs: number): Promise<Packet> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<Packet>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error("timed out"));
      }, timeoutMs);
      this.waiter = {
        resolve: (p) => (clearTimeout(timer), resolve(p)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
    });
  }

  /** Writes one payload as packet(s) from `seq`; returns the next sequence id. */
  send(payload: Buffer, seq: number): number {
    const { bytes, next } = framePacket(payload, seq);
    if (this.socket.writable) this.socket.write(bytes);
    return next;
  }

  /** Stops reading; returns the bytes received beyond the last whole packet (and any packet not taken: none is expected). */
  release(): Buffer {
    this.socket.off("data", this.onData);
    this.socket.off("end", this.onEnd);
    this.socket.off("close", this.onEnd);
    this.socket.off("error", this.onError);
    if (this.queue.length) throw new Error("the peer sent a packet out of turn");
    return this.framer.takeRest();
  }

  private deliver(p: Packet): void {
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      w.resolve(p);
    } else this.queue.push(p);
  }

  private fail(e: Error): void {
    this.failure ??= e;
    const w = this.waiter;
    this.waiter = null;
    w?.reject(this.failure);
  }
}

/**
 * A socket whose buffered bytes are read again first: a MySQL client starts its TLS handshake right
 * after its SSLRequest without waiting, so the ClientHello can arrive in the same chunk; a TLSSocket
 * over a net.Socket would read the handle directly and lose it.
 */
export function withPrefix(socket: Duplex, prefix: Buffer): Duplex {
  const wrapped = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk, _enc, cb) {
      socket.write(chunk, cb);
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
  if (prefix.length) wrapped.push(prefix);
  socket.on("data", (d: Buffer) => {
    if (!wrapped.push(d)) socket.pause();
  });
  socket.on("end", () => wrapped.push(null));
  socket.on("close", () => wrapped.destroy());
  socket.on("error", (e) => wrapped.destroy(e));
  return wrapped;
}
