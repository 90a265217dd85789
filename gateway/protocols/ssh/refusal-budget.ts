/**
 * The refusals a client can repeat in a loop on one connection (forwarding requests, direct-tcpip
 * channels, agent, X11 and subsystem requests): the first few are audited one by one, the rest only
 * counted and reported in one event when the connection closes, so a single client cannot fill the
 * audit log. Commands are never counted here: each one keeps its own event.
 */
export class RefusalBudget {
  private audited = 0;
  private readonly suppressed = new Map<string, number>();

  constructor(private readonly limit = 20) {}

  /** True when this refusal gets its own event; false when it is only counted. */
  take(action: string): boolean {
    if (this.audited < this.limit) {
      this.audited++;
      return true;
    }
    this.suppressed.set(action, (this.suppressed.get(action) ?? 0) + 1);
    return false;
  }

  /** The refusals counted but not audited, by action; undefined when there were none. */
  summary(): { total: number; byAction: Record<string, number> } | undefined {
    if (this.suppressed.size === 0) return undefined;
    const byAction = Object.fromEntries(this.suppressed);
    return { total: Object.values(byAction).reduce((a, b) => a + b, 0), byAction };
  }
}
