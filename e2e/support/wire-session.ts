import net from "node:net";
import { serialize } from "pg-protocol";

/** One backend message as it came off the wire: its type byte and its body, unparsed. */
export type WireMessage = { type: string; body: Buffer };

/**
 * A Postgres session that keeps the backend's messages as raw bytes, so two servers' answers to
 * the same frontend messages can be compared byte for byte (e2e/abuse/pg-sequences). Signs in
 * with trust (a unix socket) or a cleartext password (the gateway).
 */
export class WireSession {
  readonly received: WireMessage[] = [];
  closed = false;
  private pending = Buffer.alloc(0);
  private wake: (() => void) | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.on("data", (d) => {
      this.pending = this.pending.length ? Buffer.concat([this.pending, d]) : d;
      while (this.pending.length >= 5) {
        const length = this.pending.readInt32BE(1);
        if (this.pending.length < 1 + length) break;
        this.received.push({ type: String.fromCharCode(this.pending[0]), body: Buffer.from(this.pending.subarray(5, 1 + length)) });
        this.pending = this.pending.subarray(1 + length);
      }
      this.wake?.();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on("error", () => {});
  }

  static async open(to: net.NetConnectOpts, startup: { user: string; database: string }, password?: string): Promise<WireSession> {
    const socket = net.connect(to);
    await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    const s = new WireSession(socket);
    s.send(serialize.startup(startup));
    const auth = await s.until((m) => m.type === "R" || m.type === "E");
    if (auth.type === "R" && auth.body.readInt32BE(0) === 3) s.send(serialize.password(password ?? ""));
    const ready = await s.until((m) => m.type === "Z" || m.type === "E");
    if (ready.type === "E") throw new Error(`sign-in refused: ${ready.body.toString("utf8").replace(/\0/g, " ")}`);
    s.received.length = 0;
    return s;
  }

  send(buf: Buffer | Uint8Array): void {
    this.socket.write(buf);
  }

  /** Waits for the first message (from the start of `received`) that matches. */
  async until(match: (m: WireMessage, index: number) => boolean, timeoutMs = 10_000): Promise<WireMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.received.find(match);
      if (hit) return hit;
      if (this.closed) throw new Error(`closed; got ${this.types()}`);
      if (Date.now() > deadline) throw new Error(`timed out; got ${this.types()}`);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 100);
      });
    }
  }

  types(): string {
    return this.received.map((m) => m.type).join("");
  }

  end(): void {
    this.socket.end(serialize.end());
  }
}

/** The fields of a DataRow body (null for SQL NULL). */
export function dataRowFields(body: Buffer): (Buffer | null)[] {
  const fields: (Buffer | null)[] = [];
  let at = 2;
  for (let i = 0, n = body.readInt16BE(0); i < n; i++) {
    const length = body.readInt32BE(at);
    at += 4;
    if (length < 0) fields.push(null);
    else {
      fields.push(body.subarray(at, at + length));
      at += length;
    }
  }
  return fields;
}
