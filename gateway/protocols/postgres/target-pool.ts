import { createHash } from "node:crypto";
import type { Duplex } from "node:stream";
import { serialize } from "pg-protocol";
import { Parser } from "pg-protocol/dist/parser";
import { forwardedParams, type TargetSession } from "./target-connector";
import type { PgTarget } from "./target-socket";

/**
 * idleMs: how long a reset backend waits for its next client; maxPerKey: how many wait per key (0: no
 * pooling); maxTotal: how many wait in all (clients choose their start-up parameters, so keys are theirs to multiply).
 */
export type PoolSettings = { idleMs: number; maxPerKey: number; maxTotal?: number; resetTimeoutMs?: number };

/**
 * Which backends may serve a client: the same connection, reached and logged in with the same
 * settings and credentials (`credentials`, so an edited connection never gets an old login), and
 * started with the same client parameters (RESET ALL returns a backend to its start-up values).
 */
export type PoolKey = { connectionId: string; credentials: string; key: string };

type Parked = { session: TargetSession; key: PoolKey; timer: NodeJS.Timeout; unwatch: () => void };

const sha256 = (v: unknown) => createHash("sha256").update(JSON.stringify(v)).digest("base64url");

/** The pool key of a client of `connection` reaching `target` (through its connector, if any) with start-up parameters `clientParams`. */
export function poolKeyOf(connection: { id: string; connector?: string }, target: PgTarget, clientParams: Record<string, string>): PoolKey {
  const connectionId = connection.id;
  const { host, port, database, user, password, sslmode, loginAtConnector } = target;
  const credentials = sha256([host, port, database, user, password ?? null, sslmode, connection.connector ?? null, loginAtConnector ?? null]);
  const params = Object.entries(forwardedParams(clientParams)).sort(([a], [b]) => (a < b ? -1 : 1));
  return { connectionId, credentials, key: `${connectionId}/${credentials}/${sha256(params)}` };
}

/**
 * Logged-in target backends left idle by clients that ended cleanly, so that the next client of the
 * same key skips the target's start-up and login (its SCRAM exchange). Each client still has its own
 * admission, session, cancel key and audit; a backend is reset (DISCARD ALL) before it waits here, and
 * one that cannot be reset, goes quiet, says anything or closes while waiting, is destroyed.
 */
export class TargetPool {
  private readonly parked = new Map<string, Parked[]>();
  private closed = false;

  constructor(
    private readonly settings: PoolSettings,
    private readonly log: (m: string) => void = () => {},
  ) {}

  get enabled(): boolean {
    return !this.closed && this.settings.maxPerKey > 0 && this.settings.idleMs > 0;
  }

  /** Backends waiting, over every key (for tests and metrics). */
  get size(): number {
    let n = 0;
    for (const list of this.parked.values()) n += list.length;
    return n;
  }

  /** A reset backend for `key`, the one parked last; undefined when none waits. */
  acquire(key: PoolKey): TargetSession | undefined {
    if (!this.enabled) return undefined;
    this.dropStale(key);
    const list = this.parked.get(key.key);
    while (list?.length) {
      const p = list.pop()!;
      this.unpark(p);
      if (usable(p.session.socket)) return { ...p.session, status: "I" };
      p.session.socket.destroy();
    }
    return undefined;
  }

  /** Takes back a backend whose client ended cleanly (idle, nothing in flight): reset, then parked, or closed. */
  async release(key: PoolKey, session: TargetSession): Promise<void> {
    const { socket } = session;
    if (!this.enabled || !usable(socket)) return terminate(socket);
    let parameters: Map<string, string> | null;
    try {
      parameters = await resetBackend(socket, session.parameters, this.settings.resetTimeoutMs ?? 5000);
    } catch (err) {
      this.log(`postgres: a target backend could not be reset for reuse and was closed: ${(err as Error).message}`);
      return terminate(socket);
    }
    const list = this.parked.get(key.key) ?? [];
    const full = list.length >= this.settings.maxPerKey || this.size >= (this.settings.maxTotal ?? 100);
    if (!parameters || !this.enabled || full || !usable(socket)) return terminate(socket);
    const parked: Parked = { session: { ...session, parameters }, key, timer: setTimeout(() => this.evict(parked), this.settings.idleMs), unwatch: () => {} };
    parked.timer.unref();
    // While it waits, the backend has nothing to say: anything it sends (a FATAL from pg_terminate_backend, idle_session_timeout) or its close ends it.
    const gone = () => this.evict(parked);
    socket.on("data", gone);
    socket.on("error", gone);
    socket.on("close", gone);
    parked.unwatch = () => {
      socket.off("data", gone);
      socket.off("error", gone);
      socket.off("close", gone);
    };
    socket.resume();
    list.push(parked);
    this.parked.set(key.key, list);
  }

  /** Closes the backends waiting for `connectionId` (the connection was edited, deleted, or its grants changed). */
  dropConnection(connectionId: string): void {
    for (const list of [...this.parked.values()]) for (const p of [...list]) if (p.key.connectionId === connectionId) this.evict(p);
  }

  /** Closes every waiting backend and takes no more (the gateway is closing). */
  close(): void {
    this.closed = true;
    for (const list of [...this.parked.values()]) for (const p of [...list]) this.evict(p);
  }

  /** Backends of the same connection logged in with other settings or credentials are never reused: closed at once. */
  private dropStale(key: PoolKey): void {
    for (const list of [...this.parked.values()]) for (const p of [...list]) if (p.key.connectionId === key.connectionId && p.key.credentials !== key.credentials) this.evict(p);
  }

  private unpark(p: Parked): void {
    clearTimeout(p.timer);
    p.unwatch();
    p.session.socket.pause();
    const list = this.parked.get(p.key.key);
    const i = list?.indexOf(p) ?? -1;
    if (i >= 0) list!.splice(i, 1);
    if (list && !list.length) this.parked.delete(p.key.key);
  }

  private evict(p: Parked): void {
    this.unpark(p);
    terminate(p.session.socket);
  }
}

const usable = (s: Duplex) => !s.destroyed && s.readable && s.writable && !s.writableEnded && !s.writableNeedDrain;

/** Ends a backend politely (Terminate), and for good after a moment. */
export function terminate(socket: Duplex): void {
  socket.on("error", () => {});
  if (usable(socket)) socket.end(serialize.end());
  else socket.destroy();
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** The fields of the backend messages resetBackend reads (pg-protocol's Parser gives each message as an object of its fields). */
type ResetAnswer = { name: string; parameterName: string; parameterValue: string; text: string; status: string; code: string; message: string };

/**
 * Runs DISCARD ALL (prepared statements, portals, temp tables, advisory locks, LISTENs, plans,
 * sequences' state, every GUC and the session authorization back to their start-up values) and
 * resolves with the parameters the backend reports afterwards; null when it did not answer with
 * exactly DISCARD ALL and an idle ReadyForQuery. What the backend sent before (notifications for a
 * channel just unlistened, notices) is dropped: it was the previous client's.
 */
export function resetBackend(socket: Duplex, before: Map<string, string>, timeoutMs: number): Promise<Map<string, string> | null> {
  const parameters = new Map(before);
  const parser = new Parser();
  return new Promise((resolve, reject) => {
    let discarded = false;
    let ok = true;
    const done = (result: Map<string, string> | null, err?: Error) => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("error", onGone);
      socket.off("close", onGone);
      socket.pause();
      if (err) reject(err);
      else resolve(result);
    };
    const onGone = () => done(null, new Error("the target closed the connection"));
    const onData = (chunk: Buffer) =>
      parser.parse(chunk, (message) => {
        const msg = message as unknown as ResetAnswer;
        switch (msg.name) {
          case "parameterStatus":
            return void parameters.set(msg.parameterName, msg.parameterValue);
          case "commandComplete":
            if (msg.text === "DISCARD ALL") discarded = true;
            else ok = false;
            return;
          case "readyForQuery":
            return done(ok && discarded && msg.status === "I" ? parameters : null);
          case "notice":
          case "notification":
            return;
          case "error":
            return done(null, new Error(`${msg.code}: ${msg.message}`));
          default:
            ok = false;
        }
      });
    const timer = setTimeout(() => done(null, new Error(`no answer to DISCARD ALL within ${timeoutMs} ms`)), timeoutMs);
    socket.on("data", onData);
    socket.on("error", onGone);
    socket.on("close", onGone);
    socket.write(serialize.query("DISCARD ALL"));
    socket.resume();
  });
}
