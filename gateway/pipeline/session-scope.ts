import { randomUUID } from "node:crypto";
import type { GatewayDeps } from "../gateway-deps";
import { sessionEvent, type SessionContext, type SessionEventInput } from "../../core/audit/audit-event";
import type { Admission } from "./admit";
import { Recorder, type RecordingHeader } from "../../core/recordings/recorder";
import { auditTextMask } from "../../core/masking/audit-text-mask";
import type { SessionBudget } from "./budgets";

export type SessionEnd = { failed: boolean; reason: string; bytesIn: number; bytesOut: number };

export type SessionScope = {
  id: string;
  ctx: SessionContext;
  /** Audits an event of this session (its statement text and kind go through `textMask()` first). */
  audit: (e: SessionEventInput) => void;
  /** Why something outside the client ended the session (kill, revocation, expiry, shutdown), once it has. */
  readonly endedBy: string | undefined;
  /**
   * What audit events and recordings store of this session's texts: the connection's detectors as
   * they stand now (core/masking/audit-text-mask.ts); undefined while the session is not masked.
   */
  textMask: () => TextMask | undefined;
  /**
   * Starts the session's terminal recording (asciicast v2, stored with `textMask()` applied, see
   * core/recordings/recorder.ts); end() closes it before the end event. Rejects when it cannot be
   * recorded: the adapter then runs nothing unrecorded.
   */
  record: (header: RecordingHeader) => Promise<Recorder>;
  /** The data budgets binding this session (opened when the adapter counts results: `countsResults`); null when none binds it. */
  budget: SessionBudget | null;
  /** Ends the session, whatever ended it: the live registration goes, recordings are closed, the end event and the record are written. Once. */
  end: (end: SessionEnd) => Promise<void>;
};

export type SessionOptions = {
  protocol: string;
  clientAddr: string | null;
  clientApp: string | null;
  clientUser: string | null;
  /** How the adapter tells its client the session is over and closes it (the reason is a sentence). */
  kill: (reason: string) => void;
  /** The start event: `session.start` with this message, unless the adapter names another action. */
  start: { action?: string; message: string | null };
  /** Keep a session record with start and end events (default). A browser SSH terminal has none: the SSH session it opens is the record. */
  persist?: boolean;
  /** The session's id, when the adapter needs it before the record is written (ids are random UUIDs otherwise). */
  id?: string;
  /**
   * The session is on one of the gateway's own endpoints (`/mcp`), not on a stored connection: its
   * record names the endpoint in place of a connection and links to none.
   */
  endpoint?: boolean;
  /** The adapter counts result rows or bytes against data budgets (Postgres, MySQL, HTTP): the session's budgets are opened with it. */
  countsResults?: boolean;
  /** The longest this session may last, whatever its credential says (the browser terminal's limit). */
  maxLifetime?: { ms: number; reason: string };
};

/** Thrown when the session record cannot be written: no record, no session (nothing is relayed that cannot be attributed). */
export class SessionUnrecordedError extends Error {
  constructor(message = "the gateway cannot record sessions right now; try again shortly") {
    super(message);
  }
}

/**
 * The session scope every adapter opens after admission: the session record, the live registration
 * that ends the session when its credential or time-bound access does (or a revocation, an admin
 * kill, a shutdown) with the reason its client is told, start and end audit events, and one end()
 * path.
 */
export async function openSession(deps: GatewayDeps, admission: Admission, opts: SessionOptions): Promise<SessionScope> {
  const { identity, connection, authenticatedAt } = admission;
  const id = opts.id ?? randomUUID();
  const ctx = sessionContext(admission, id, opts.protocol, opts.clientAddr);
  const persist = opts.persist !== false;
  let budget: SessionBudget | null = null;
  if (opts.countsResults) {
    try {
      budget = await deps.budgets.open(identity, connection.name);
    } catch (err) {
      // A budget that cannot be read cannot be enforced: no session (fail closed).
      deps.log(`${opts.protocol}: could not read data budget use: ${(err as Error).message}`);
      throw new SessionUnrecordedError("the gateway cannot read this identity's data budget right now; try again shortly");
    }
  }
  if (persist) {
    try {
      await deps.sessions.open({
        id,
        identityId: identity.id,
        identityName: identity.name,
        groups: identity.groups,
        connectionId: opts.endpoint ? null : connection.id,
        connectionName: connection.name,
        protocol: opts.protocol,
        clientAddr: opts.clientAddr,
        clientApp: opts.clientApp,
        clientUser: opts.clientUser,
        gatewayInstance: deps.config.instance,
      });
    } catch (err) {
      budget?.close();
      deps.log(`${opts.protocol}: could not record session: ${(err as Error).message}`);
      throw new SessionUnrecordedError();
    }
  }
  const textMask = sessionTextMask(deps, admission);
  const mask = (t: string | null | undefined) => {
    const m = t != null ? textMask() : undefined;
    return m ? m(t!) : t;
  };
  const audit: SessionScope["audit"] = (e) => deps.audit.write(sessionEvent(ctx, e, mask));

  let endedBy: string | undefined;
  let ended = false;
  const recorders: Array<Promise<Recorder | null>> = [];
  const { at, reason } = sessionDeadline(admission, opts.maxLifetime);
  const untrack = deps.live.add(
    {
      id,
      protocol: opts.protocol,
      identityId: identity.id,
      keyId: identity.keyId,
      temporaryAccessTo: connection.temporaryAccessUntil !== undefined ? connection.id : undefined,
      kill: (why) => {
        if (ended) return;
        endedBy ??= why;
        opts.kill(why);
      },
    },
    at,
    authenticatedAt,
    reason,
  );
  audit({ action: opts.start.action ?? "session.start", outcome: "ok", message: opts.start.message });
  return {
    id,
    ctx,
    audit,
    get endedBy() {
      return endedBy;
    },
    textMask,
    budget,
    record(header) {
      const started = Recorder.start(deps.db, id, header, { mask: textMask(), log: deps.log });
      recorders.push(started.catch(() => null));
      return started;
    },
    async end(end) {
      if (ended) return;
      ended = true;
      untrack();
      budget?.close();
      for (const r of await Promise.all(recorders)) await r?.close();
      if (!persist) return;
      const result = { ...end, reason: endedBy ?? end.reason };
      audit({ action: "session.end", outcome: result.failed ? "error" : "ok", message: result.reason });
      // Journaled before the row is closed: a gateway killed in between leaves the row open, and its next start ends it (leftover-sessions.ts).
      deps.audit.syncPending();
      await deps.sessions.close(id, result).catch((err) => deps.log(`${opts.protocol}: could not close session ${id}: ${(err as Error).message}`));
    },
  };
}

export type TextMask = (text: string) => string;

/**
 * The audit text mask of an admitted session, read live: a masking rule changed mid-session
 * applies to the next event. Every adapter gets it from here (SessionScope.textMask), so no
 * protocol builds its own.
 */
export function sessionTextMask(deps: GatewayDeps, admission: Admission): () => TextMask | undefined {
  const masking = deps.masking.forSession(admission.connection.id, admission.identity.groups);
  const key = deps.masking.keyFor(admission.connection.id);
  let seen: ReturnType<typeof masking> | undefined;
  let mask: TextMask | undefined;
  return () => {
    const now = masking();
    if (now !== seen) {
      seen = now;
      mask = auditTextMask(now, key);
    }
    return mask;
  };
}

/** What every event of one session shares. */
export function sessionContext(admission: Admission, sessionId: string, protocol: string, clientAddr: string | null): SessionContext {
  const { identity, connection } = admission;
  return { sessionId, identityId: identity.id, identityName: identity.name, groups: identity.groups, connectionName: connection.name, protocol, clientAddr };
}

/**
 * When a session must end, and the sentence its client is told then: the first of its
 * credential's expiry, the end of the time-bound access it relies on, and the adapter's limit.
 */
export function sessionDeadline(admission: Admission, maxLifetime?: SessionOptions["maxLifetime"]): { at: number | undefined; reason: string } {
  const candidates: Array<{ at: number; reason: string }> = [];
  if (admission.identity.expiresAt !== undefined) candidates.push({ at: admission.identity.expiresAt, reason: "the credential of this session has expired" });
  const until = admission.connection.temporaryAccessUntil;
  if (until !== undefined) candidates.push({ at: until, reason: `the time-bound access to ${admission.connection.name} has ended` });
  if (maxLifetime) candidates.push({ at: admission.authenticatedAt + maxLifetime.ms, reason: maxLifetime.reason });
  candidates.sort((a, b) => a.at - b.at);
  return candidates[0] ?? { at: undefined, reason: "the credential of this session has expired" };
}
