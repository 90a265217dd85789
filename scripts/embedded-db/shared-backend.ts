import type { PGlite } from "@electric-sql/pglite";
import { copyFail, errorResponse, keepTail, readyForQueryStatus, simpleQuery, syncMessage } from "./wire-frames";

export type BackendClient = { write: (bytes: Buffer) => void; end: () => void };

export type BackendSession = {
  readonly client: BackendClient;
  pending: Buffer[];
  queued: boolean;
  closed: boolean;
  ending: boolean;
};

/**
 * PGlite is a single PostgreSQL backend, one session. This lets many socket connections share it
 * without mixing them up: a connection holds the backend from the moment it sends something until
 * the backend is idle again (ReadyForQuery 'I'). Transactions and extended-protocol batches
 * (Parse, Bind, Execute ... Sync) therefore never interleave with another connection's messages,
 * however many socket reads a large message takes. Others wait their turn, in arrival order.
 */
export class SharedBackend {
  private readonly ready: BackendSession[] = [];
  private owner: BackendSession | undefined;
  private executing: BackendSession | undefined;
  private draining: Promise<void> | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private broken: Error | undefined;

  constructor(
    private readonly db: PGlite,
    private readonly opts: { idleInTransactionMs: number; onFatal: (err: Error) => void },
  ) {}

  open(client: BackendClient): BackendSession {
    return { client, pending: [], queued: false, closed: false, ending: false };
  }

  send(session: BackendSession, frame: Buffer): void {
    if (session.closed || session.ending) return;
    if (this.broken) return this.refuse(session);
    session.pending.push(frame);
    if (session === this.owner) clearTimeout(this.idleTimer);
    else this.enqueue(session);
    this.pump();
  }

  /** Terminate: the client leaves once what it already sent has run. */
  end(session: BackendSession): void {
    session.ending = true;
    if (session.pending.length === 0 && this.executing !== session) session.client.end();
  }

  /** The socket closed: forget the session; if it held the backend, undo what it left open. */
  drop(session: BackendSession): void {
    session.closed = true;
    session.pending = [];
    if (session === this.owner) this.pump();
  }

  /** Waits for the statement under way; a holder mid-transaction is rolled back. */
  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    while (this.draining) await this.draining;
    if (this.owner && !this.broken) await this.reset();
    this.owner = undefined;
  }

  private enqueue(session: BackendSession) {
    if (session.queued) return;
    session.queued = true;
    this.ready.push(session);
  }

  private pump() {
    if (this.draining || this.broken) return;
    this.draining = this.drain()
      .catch((err: Error) => {
        this.broken = err;
        this.opts.onFatal(err);
      })
      .finally(() => {
        this.draining = undefined;
        if (this.owner?.closed || this.owner?.pending.length || (!this.owner && this.ready.length)) this.pump();
      });
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.owner?.closed) {
        await this.reset();
        this.owner = undefined;
        continue;
      }
      const session = this.next();
      if (!session) return;
      // A start-up packet runs alone: PGlite recognises it only at the start of its input.
      const input = session.pending[0][0] === 0 ? [session.pending.shift()!] : session.pending.splice(0);
      this.executing = session;
      const status = await this.execute(Buffer.concat(input), session).finally(() => (this.executing = undefined));
      // Not idle: mid-transaction or mid-batch, so it keeps the backend (if it has gone, the next turn resets).
      this.owner = status === "I" ? undefined : session;
      if (session.ending && session.pending.length === 0) session.client.end();
      if (this.owner === session && !session.closed) this.armIdleTimer(session);
      if (!this.owner && session.pending.length) this.enqueue(session);
    }
  }

  private next(): BackendSession | undefined {
    if (this.owner) return this.owner.pending.length ? this.owner : undefined;
    for (let s = this.ready.shift(); s; s = this.ready.shift()) {
      s.queued = false;
      if (!s.closed && s.pending.length) return s;
    }
    return undefined;
  }

  /** Runs `input` on the backend, streaming its output to `session`; returns the final transaction status. */
  private async execute(input: Buffer, session?: BackendSession): Promise<"I" | "T" | "E" | undefined> {
    let tail: Buffer = Buffer.alloc(0);
    await this.db.runExclusive(() =>
      this.db.execProtocolRawStream(input, {
        onRawData: (data) => {
          const out = Buffer.from(data); // a copy: `data` is a view of PGlite's memory
          if (session && !session.closed) session.client.write(out);
          tail = keepTail(tail, out, 6);
        },
      }),
    );
    return readyForQueryStatus(tail);
  }

  /** The holder left mid-batch or mid-transaction: end its batch (and any COPY), then roll back. */
  private async reset(): Promise<void> {
    clearTimeout(this.idleTimer);
    const status = await this.execute(Buffer.concat([copyFail("client disconnected"), syncMessage()]));
    if (status !== "I") await this.execute(simpleQuery("rollback"));
  }

  // An idle holder would stall every other connection (there is only one backend), so, like
  // PostgreSQL's idle_in_transaction_session_timeout, it is disconnected after a while.
  private armIdleTimer(session: BackendSession) {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.owner !== session || session.closed || session.pending.length) return;
      session.client.write(errorResponse("FATAL", "25P03", "terminating connection due to idle-in-transaction timeout (the embedded database serves one transaction at a time)"));
      session.client.end();
    }, this.opts.idleInTransactionMs);
    this.idleTimer.unref();
  }

  private refuse(session: BackendSession) {
    session.client.write(errorResponse("FATAL", "57P01", `the embedded database stopped: ${this.broken?.message}`));
    session.client.end();
  }
}
