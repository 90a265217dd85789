/** A session the gateway is relaying now, with a way to end it from outside (revocation, admin kill, expiry). */
export type LiveSession = {
  id: string;
  identityId: string | null;
  keyId?: string;
  kill: (reason: string) => void;
};

/** The sessions this gateway instance holds; bus events and credential expiry end them through here. */
export class LiveSessions {
  private readonly byId = new Map<string, LiveSession>();

  add(s: LiveSession, expiresAt?: number): () => void {
    this.byId.set(s.id, s);
    // Access ends when the credential does: a session does not outlive its key or token.
    const timer = expiresAt ? setTimeout(() => s.kill("the credential of this session has expired"), Math.max(0, expiresAt - Date.now())) : undefined;
    timer?.unref();
    return () => {
      clearTimeout(timer);
      this.byId.delete(s.id);
    };
  }

  killWhere(match: (s: LiveSession) => boolean, reason: string): number {
    let n = 0;
    for (const s of [...this.byId.values()]) if (match(s)) (s.kill(reason), n++);
    return n;
  }

  get size(): number {
    return this.byId.size;
  }

  killAll(reason: string): void {
    this.killWhere(() => true, reason);
  }
}
