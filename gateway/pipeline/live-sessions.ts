import type { Bus } from "../../core/bus/event-bus";

/** A session the gateway is relaying now, with a way to end it from outside (revocation, admin kill, expiry). */
export type LiveSession = {
  id: string;
  /** The adapter's protocol ("postgres", "ssh"...), for the metrics. */
  protocol?: string;
  identityId: string | null;
  keyId?: string;
  /** Set when the session exists only through time-bound access to this connection. */
  temporaryAccessTo?: string;
  kill: (reason: string) => void;
};

/** The sessions this gateway instance holds; bus events and credential expiry end them through here. */
export class LiveSessions {
  private readonly byId = new Map<string, LiveSession>();
  // When each identity's keys were last revoked, so that a session whose sign-in raced the
  // revocation (checked the key just before, registered just after the event) still ends.
  private readonly revokedAt = new Map<string, number>();

  /** `hooks` hear each session registered and unregistered (the gateway's metrics count them). */
  constructor(private readonly hooks: { opened?: (protocol: string) => void; ended?: (protocol: string) => void } = {}) {}

  /** Sessions held now, per protocol (read when the metrics are scraped). */
  countByProtocol(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const s of this.byId.values()) counts.set(s.protocol ?? "none", (counts.get(s.protocol ?? "none") ?? 0) + 1);
    return counts;
  }

  /** Registers a session that authenticated at `authenticatedAt`; ends it at once if a revocation came in since. */
  add(s: LiveSession, expiresAt: number | undefined, authenticatedAt: number, expiryReason = "the credential of this session has expired"): () => void {
    this.byId.set(s.id, s);
    this.hooks.opened?.(s.protocol ?? "none");
    const revoked = s.identityId ? this.revokedAt.get(s.identityId) : undefined;
    if (revoked !== undefined && revoked >= authenticatedAt) queueMicrotask(() => s.kill("the keys of this identity were revoked"));
    // Access ends when the credential does: a session does not outlive its key or token.
    const timer = expiresAt ? setTimeout(() => s.kill(expiryReason), Math.max(0, expiresAt - Date.now())) : undefined;
    timer?.unref();
    let untracked = false;
    return () => {
      clearTimeout(timer);
      this.byId.delete(s.id);
      if (!untracked) this.hooks.ended?.(s.protocol ?? "none");
      untracked = true;
    };
  }

  /** Ends sessions when their keys or time-bound access are revoked, or an admin kills one, on any instance. */
  subscribe(bus: Bus): void {
    bus.on("keys.revoked", ({ identityId, keyIds, reason }) => {
      if (identityId) this.revokeIdentity(identityId, keyIds, reason);
      // One key revoked (console): only the sessions opened with it end.
      else if (keyIds?.length) this.killWhere((s) => !!s.keyId && keyIds.includes(s.keyId), "the key of this session was revoked");
    });
    bus.on("access.revoked", ({ identityId, connectionId }) => {
      this.killWhere((s) => s.identityId === identityId && s.temporaryAccessTo === connectionId, "the time-bound access to this connection was revoked");
    });
    bus.on("sessions.kill", ({ sessionId, reason }) => {
      this.killWhere((s) => s.id === sessionId, reason ?? "an administrator ended this session");
    });
  }

  /** Ends the identity's live sessions and remembers the revocation for sessions still signing in. */
  revokeIdentity(identityId: string, keyIds: string[] = [], reason = "the keys of this identity were revoked"): number {
    const now = Date.now();
    this.revokedAt.set(identityId, now);
    for (const [id, at] of this.revokedAt) if (now - at > 60_000) this.revokedAt.delete(id);
    return this.killWhere((s) => s.identityId === identityId || (!!s.keyId && keyIds.includes(s.keyId)), reason);
  }

  killWhere(match: (s: LiveSession) => boolean, reason: string): number {
    let n = 0;
    for (const s of [...this.byId.values()]) {
      if (!match(s)) continue;
      s.kill(reason);
      n++;
    }
    return n;
  }

  killAll(reason: string): void {
    this.killWhere(() => true, reason);
  }
}
