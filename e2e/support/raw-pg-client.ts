import net from "node:net";
import { serialize } from "pg-protocol";
import { Parser } from "pg-protocol/dist/parser";

export type RawMessage = { name: string; code?: string; message?: string; severity?: string; [k: string]: unknown };

/**
 * A deliberately low-level Postgres client for sending what real drivers never send (broken
 * lengths, messages out of order). Backend messages are decoded with pg-protocol's parser.
 */
export class RawPgClient {
  readonly messages: RawMessage[] = [];
  closed = false;
  private readonly parser = new Parser();
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.on("data", (d) => {
      this.parser.parse(d, (m) => this.messages.push(m as unknown as RawMessage));
      this.wake();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => {});
  }

  /** `localAddress` (127.0.0.2...) makes the client come from another source address on this host. */
  static async connect(port: number, localAddress?: string): Promise<RawPgClient> {
    const socket = net.connect({ host: "127.0.0.1", port, localAddress });
    await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    return new RawPgClient(socket);
  }

  /** Start-up and password (or a whole password message, as raw bytes); resolves once ReadyForQuery (or an error) arrives. */
  async login(database: string, token: string | Buffer): Promise<RawMessage> {
    this.send(serialize.startup({ user: "raw", database }));
    await this.waitFor((m) => m.name === "authenticationCleartextPassword" || m.name === "error");
    this.send(typeof token === "string" ? serialize.password(token) : token);
    return this.waitFor((m) => m.name === "readyForQuery" || m.name === "error");
  }

  send(buf: Buffer): void {
    this.socket.write(buf);
  }

  query(text: string): void {
    this.send(serialize.query(text));
  }

  /** Waits for a message matching `match` (or the socket to close, then resolves with the last message). */
  async waitFor(match: (m: RawMessage) => boolean, timeoutMs = 10_000): Promise<RawMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.messages.find(match);
      if (hit) return hit;
      if (this.closed) return { name: "closed" };
      if (Date.now() > deadline) throw new Error(`timed out; got ${this.messages.map((m) => m.name).join(", ")}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }

  async waitClosed(timeoutMs = 10_000): Promise<void> {
    await this.waitFor(() => false, timeoutMs).catch(() => {});
  }

  end(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
