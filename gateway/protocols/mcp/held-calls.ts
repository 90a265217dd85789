import type { ToolOutcome } from "./tool-call";
import type { HeldCallResults, StoredCall } from "./held-call-results";

/** What a held tool call ends with: its result, or the tool error saying why it did not run (a rejection, a timeout, an error). */
export type CallOutcome = ToolOutcome;

type HeldCall = {
  reviewId: string;
  /** Only the identity that made the call may wait for it or read its result. */
  identityName: string;
  tool: string;
  connection: string;
  link: string;
  outcome: Promise<CallOutcome>;
  settled?: CallOutcome;
  abandon: () => void;
};

/** How long a settled result waits for its `review_wait` before it is dropped. */
const KEEP_SETTLED_MS = 15 * 60_000;

/**
 * Tool calls a review holds, in this gateway instance's memory: the inner Postgres connection (or
 * SSH channel) stays open and waiting while the agent gets a "pending approval" result at once;
 * `review_wait` picks up the outcome. A call lives in the instance that took it; with `shared`, its
 * outcome is also stored (sealed) for `review_wait` on another instance (`stored`).
 */
export class HeldCalls {
  private readonly calls = new Map<string, HeldCall>();

  /** `maxPendingPerIdentity`: each pending call keeps an inner connection open, so one identity may not pile them up. */
  constructor(
    private readonly shared?: HeldCallResults,
    private readonly maxPendingPerIdentity = 20,
  ) {}

  /** Whether `identityName` may leave one more call waiting for approval here. */
  hasRoom(identityName: string): boolean {
    let pending = 0;
    for (const c of this.calls.values()) if (c.identityName === identityName && !c.settled) pending++;
    return pending < this.maxPendingPerIdentity;
  }

  add(call: Omit<HeldCall, "settled">): void {
    const held: HeldCall = { ...call };
    this.calls.set(call.reviewId, held);
    const recorded = this.shared?.held(call);
    void call.outcome.then((o) => {
      held.settled = o;
      setTimeout(() => this.calls.delete(call.reviewId), KEEP_SETTLED_MS).unref();
      void recorded?.then(() => this.shared?.settled(call.reviewId, o, KEEP_SETTLED_MS));
    });
  }

  /** A call another instance holds (or held), as it recorded it for `identityName`. */
  async stored(reviewId: string, identityName: string): Promise<StoredCall | undefined> {
    return this.shared?.find(reviewId, identityName);
  }

  get(reviewId: string, identityName: string): HeldCall | undefined {
    const c = this.calls.get(reviewId);
    return c && c.identityName === identityName ? c : undefined;
  }

  /** Waits up to `ms` for the call's outcome; undefined while it is still pending. */
  async wait(call: HeldCall, ms: number, signal?: AbortSignal): Promise<CallOutcome | undefined> {
    if (call.settled) return call.settled;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms);
      signal?.addEventListener("abort", () => resolve(undefined), { once: true });
    });
    try {
      return await Promise.race([call.outcome, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Gateway shutdown: the inner connections close (their reviews are cancelled by the listeners as a client gone). */
  close(): void {
    for (const c of this.calls.values()) if (!c.settled) c.abandon();
    this.calls.clear();
  }
}
