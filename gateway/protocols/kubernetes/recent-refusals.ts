/**
 * kubectl retries a refused WebSocket upgrade (exec, attach, port-forward) over SPDY at once: that
 * retry gets the WebSocket attempt's own refusal (the rule, the approver's reason) instead of a
 * second verdict or review.
 */
export class RecentRefusals {
  private readonly byRequest = new Map<string, { code: number; message: string; at: number }>();

  remember(key: string, code: number, message: string): void {
    const now = Date.now();
    for (const [k, v] of this.byRequest) if (now - v.at > 30_000) this.byRequest.delete(k);
    this.byRequest.set(key, { code, message, at: now });
  }

  take(key: string): { code: number; message: string } | undefined {
    const found = this.byRequest.get(key);
    this.byRequest.delete(key);
    return found && Date.now() - found.at <= 30_000 ? found : undefined;
  }
}
