import { createHash } from "node:crypto";
import type { Socket } from "node:net";
import type { GatewayDeps } from "../../gateway-deps";
import { admit, type Admission, type Refusal } from "../../pipeline/admit";
import { openSession, SessionUnrecordedError, type SessionScope } from "../../pipeline/session-scope";
import { servedBy, connectionTypeOf } from "../../../core/connections/registry";
import type { HttpSettings } from "../../../core/connections/types/http";
import { injectedCredential, type InjectedCredential } from "../../../core/connections/types/http-credential";
import { ValueMasker } from "../../../core/masking/value-masker";
import type { SessionMasking } from "../../../core/masking/compile-rules";

/** A request being served in a session: how to end it when the session is ended from outside. */
export type InFlight = { end: (reason: string) => void };

/** One client TCP connection's session on one connection with one credential (HTTP keep-alive: many requests). */
export type HttpSession = {
  scope: SessionScope;
  admission: Admission;
  settings: HttpSettings;
  credential: InjectedCredential;
  /** The session's masker while the connection's rules stay as they are; null: nothing masked for this identity. */
  masker: () => ValueMasker | null;
  inFlight: Set<InFlight>;
  /** Why the gateway ended the session (kill, revocation, expiry); set before the socket closes. */
  endedBy: string | null;
  bytesIn: number;
  bytesOut: number;
};

export type Opened = { ok: true; session: HttpSession } | { ok: false; refusal: Refusal };

/**
 * Sessions per client connection: the first request of a credential on a socket is admitted by the
 * pipeline and opens a session (recorded, registered live, with start and end events); later
 * requests on the same socket with the same credential and connection share it. It ends when the
 * socket closes, or when the pipeline ends it (kill, revocation, expiry): requests in flight are
 * answered with the reason, and the socket is closed.
 */
export class HttpSessions {
  private readonly bySocket = new WeakMap<Socket, Map<string, Promise<Opened>>>();

  constructor(private readonly deps: GatewayDeps) {}

  get(socket: Socket, credential: string, connectionName: string): Promise<Opened> {
    let sessions = this.bySocket.get(socket);
    if (!sessions) {
      const fresh = new Map<string, Promise<Opened>>();
      this.bySocket.set(socket, (sessions = fresh));
      socket.once("close", () => void this.endAll(fresh, "the client closed the connection"));
    }
    const key = `${connectionName}\n${createHash("sha256").update(credential).digest("hex")}`;
    let opened = sessions.get(key);
    if (!opened) {
      opened = this.open(socket, credential, connectionName);
      sessions.set(key, opened);
      // A refusal is not kept: the next request is judged afresh (and counted by the sign-in throttle).
      void opened.then((o) => o.ok || sessions.delete(key));
    }
    return opened;
  }

  private async open(socket: Socket, credential: string, connectionName: string): Promise<Opened> {
    const clientAddr = socket.remoteAddress ?? null;
    const admitted = await admit(this.deps, { protocol: "http", clientAddr, connectionName, credential, serves: servedBy("http"), servesLabel: "an HTTP" });
    if (!admitted.ok) return { ok: false, refusal: admitted.refusal };
    const { admission } = admitted;
    const { connection, identity } = admission;
    const settings = connectionTypeOf("http").parseSettings(connection);
    const forSession = this.deps.masking.forSession(connection.id, identity.groups);
    const key = this.deps.masking.keyFor(connection.id);
    let seen: SessionMasking | null | undefined;
    let masker: ValueMasker | null = null;
    const session: HttpSession = {
      scope: undefined as unknown as SessionScope,
      admission,
      settings,
      credential: injectedCredential(settings, connection.secret.credential),
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
    };
    try {
      session.scope = await openSession(this.deps, admission, {
        protocol: "http",
        clientAddr,
        clientApp: null,
        clientUser: null,
        start: { message: `HTTP client connection to ${settings.baseUrl}` },
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
    return { ok: true, session };
  }

  private async endAll(sessions: Map<string, Promise<Opened>>, reason: string): Promise<void> {
    for (const opened of sessions.values()) {
      const o = await opened.catch(() => null);
      if (!o?.ok) continue;
      for (const r of o.session.inFlight) r.end(reason);
      await o.session.scope.end({ failed: false, reason, bytesIn: o.session.bytesIn, bytesOut: o.session.bytesOut });
    }
  }
}
