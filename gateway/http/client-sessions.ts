import { hash } from "node:crypto";
import type { Socket } from "node:net";
import type { GatewayDeps } from "../gateway-deps";
import { admit, type Admission, type Refusal } from "../pipeline/admit";
import { openSession, SessionUnrecordedError, type SessionScope } from "../pipeline/session-scope";
import { servedBy } from "../../core/connections/registry";
import type { GatewayListener } from "../../core/connections/connection-type";
import type { ResolvedConnection } from "../../core/access/resolve-connection";
import type { InjectedCredential } from "../../core/connections/types/http-credential";
import { ValueMasker } from "../../core/masking/value-masker";
import type { SessionMasking } from "../../core/masking/compile-rules";
import { auditOverrun, holdForBudget } from "../pipeline/budget-hold";
import { ResponseMeter } from "./budget-meter";

/** A request being served in a session: how to end it when the session is ended from outside. */
export type InFlight = { end: (reason: string) => void };

/** One client TCP connection's session on one connection with one credential (HTTP keep-alive: many requests). */
export type ClientSession<S> = {
  scope: SessionScope;
  admission: Admission;
  settings: S;
  credential: InjectedCredential;
  /** The session's masker while the connection's rules stay as they are; null: nothing masked for this identity. */
  masker: () => ValueMasker | null;
  inFlight: Set<InFlight>;
  /** Why the gateway ended the session (kill, revocation, expiry); set before the socket closes. */
  endedBy: string | null;
  bytesIn: number;
  bytesOut: number;
  /** The session's data budgets (response bytes), when one binds the identity on this connection. */
  meter: ResponseMeter | null;
};

export type Opened<S> = { ok: true; session: ClientSession<S> } | { ok: false; refusal: Refusal };

/** What differs between the protocols served this way (HTTP APIs, Kubernetes): their name, their connections, and how a connection is reached. */
export type ClientSessionKind<S> = {
  /** The audit's and the session record's protocol. */
  protocol: string;
  /** The connections it serves (others are refused as forbidden), and how a refusal names them ("an HTTP"). */
  listener: GatewayListener;
  servesLabel: string;
  /** The connection's settings as the adapter uses them, the credential it injects, and the session's start message. */
  prepare: (connection: ResolvedConnection) => { settings: S; credential: InjectedCredential; start: string };
};

/**
 * Sessions per client connection: the first request of a credential on a socket is admitted by the
 * pipeline and opens a session (recorded, registered live, with start and end events); later
 * requests on the same socket with the same credential and connection share it. It ends when the
 * socket closes, or when the pipeline ends it (kill, revocation, expiry): requests in flight are
 * answered with the reason, and the socket is closed.
 */
export class ClientSessions<S> {
  private readonly bySocket = new WeakMap<Socket, Map<string, Promise<Opened<S>>>>();
  /** The digest of the credential a socket sent last (a keep-alive client sends the same one with every request: hashed once). */
  private readonly lastDigest = new WeakMap<Socket, { credential: string; digest: string }>();

  constructor(
    private readonly deps: GatewayDeps,
    private readonly kind: ClientSessionKind<S>,
  ) {}

  get(socket: Socket, credential: string, connectionName: string): Promise<Opened<S>> {
    let sessions = this.bySocket.get(socket);
    if (!sessions) {
      const fresh = new Map<string, Promise<Opened<S>>>();
      this.bySocket.set(socket, (sessions = fresh));
      socket.once("close", () => void this.endAll(fresh, "the client closed the connection"));
    }
    let last = this.lastDigest.get(socket);
    if (last?.credential !== credential) this.lastDigest.set(socket, (last = { credential, digest: hash("sha256", credential, "base64") }));
    const key = `${connectionName}\n${last.digest}`;
    let opened = sessions.get(key);
    if (!opened) {
      opened = this.open(socket, credential, connectionName);
      sessions.set(key, opened);
      // A refusal is not kept: the next request is judged afresh (and counted by the sign-in throttle).
      void opened.then((o) => o.ok || sessions.delete(key));
    }
    return opened;
  }

  private async open(socket: Socket, credential: string, connectionName: string): Promise<Opened<S>> {
    const clientAddr = socket.remoteAddress ?? null;
    const { protocol, listener, servesLabel } = this.kind;
    const admitted = await admit(this.deps, { protocol, clientAddr, connectionName, credential, serves: servedBy(listener), servesLabel });
    if (!admitted.ok) return { ok: false, refusal: admitted.refusal };
    const { admission } = admitted;
    const { connection, identity } = admission;
    const prepared = this.kind.prepare(connection);
    const forSession = this.deps.masking.forSession(connection.id, identity.groups);
    const key = this.deps.masking.keyFor(connection.id);
    let seen: SessionMasking | null | undefined;
    let masker: ValueMasker | null = null;
    const session: ClientSession<S> = {
      scope: undefined as unknown as SessionScope,
      admission,
      settings: prepared.settings,
      credential: prepared.credential,
      masker: () => {
        const m = forSession();
        if (m !== seen) {
          seen = m;
          masker = m ? new ValueMasker(m, key) : null;
        }
        return masker;
      },
      inFlight: new Set(),
      endedBy: null,
      bytesIn: 0,
      bytesOut: 0,
      meter: null,
    };
    try {
      session.scope = await openSession(this.deps, admission, {
        protocol,
        clientAddr,
        clientApp: null,
        clientUser: null,
        countsResults: true,
        start: { message: prepared.start },
        kill: (reason) => {
          session.endedBy = reason;
          // Requests in flight are answered with the reason and `Connection: close` (the server then closes the socket); an idle socket goes now.
          if (session.inFlight.size === 0) return void socket.destroy();
          for (const r of session.inFlight) r.end(reason);
          setTimeout(() => socket.destroy(), 5000).unref();
        },
      });
    } catch (err) {
      if (!(err instanceof SessionUnrecordedError)) throw err;
      return { ok: false, refusal: { reason: "unavailable", message: err.message } };
    }
    const { scope } = session;
    if (scope.budget)
      session.meter = new ResponseMeter(scope.budget, { hold: (o, request) => holdForBudget(this.deps, scope.ctx, o, request), audit: (o, request) => auditOverrun(scope.audit, o, request) });
    return { ok: true, session };
  }

  private async endAll(sessions: Map<string, Promise<Opened<S>>>, reason: string): Promise<void> {
    for (const opened of sessions.values()) {
      const o = await opened.catch(() => null);
      if (!o?.ok) continue;
      for (const r of o.session.inFlight) r.end(reason);
      o.session.meter?.cancel(reason);
      await o.session.scope.end({ failed: false, reason, bytesIn: o.session.bytesIn, bytesOut: o.session.bytesOut });
    }
  }
}

/** One request's audit event on a session served over HTTP (APIs, Kubernetes, WebSocket upgrades), its bytes added to the session's totals. */
export function auditRequest<S>(
  s: ClientSession<S>,
  e: { outcome: "ok" | "error" | "denied"; statement: string; kind: string; startedAt: number; message: string | null; bytesIn: number; bytesOut: number; details: Record<string, unknown> },
): void {
  s.bytesIn += e.bytesIn;
  s.bytesOut += e.bytesOut;
  s.scope.audit({
    action: "request",
    outcome: e.outcome,
    statement: e.statement,
    statementKind: e.kind,
    durationMs: Math.round(performance.now() - e.startedAt),
    message: e.message,
    details: Object.assign({}, e.details, { bytesIn: e.bytesIn, bytesOut: e.bytesOut }),
  });
}
