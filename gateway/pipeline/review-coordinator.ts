import type { Bus } from "../../core/bus/event-bus";
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { reviews, type BlastRadius, type ReviewSummary } from "../../drizzle/schema/index";
import type { AuditEvent, SessionContext } from "../../core/audit/audit-event";

export type ReviewOutcome = { status: "approved"; decidedBy: string } | { status: "rejected" | "expired" | "cancelled" | "failed"; message: string };

export type HoldRequest = {
  ctx: SessionContext;
  statement: string;
  summary: ReviewSummary;
  ruleName: string | null;
  reason: string;
  approverGroups: string[];
  requiredApprovals: number;
  timeoutMs: number;
  /** The planner's estimate for a write, computed while the review waits (never executes it). */
  estimate?: () => Promise<BlastRadius>;
  /** A request answered at once with 202, which runs when sent again after approval (see gateway/pipeline/accepted-reviews.ts). */
  requestFingerprint?: string;
};

export type Hold = { reviewId: string; link: string; outcome: Promise<ReviewOutcome> };

type Deps = {
  db: Db;
  instance: string;
  consoleUrl: string;
  audit: (e: AuditEvent) => void;
  log: (m: string) => void;
  notify?: (review: { id: string; link: string; req: HoldRequest }) => Promise<void>;
};

/**
 * Holds statements for approval, protocol-agnostic: records the review in the shared database,
 * and resolves when the console's decision arrives on the bus (`reviews.decided`), when it times
 * out, or when the client goes away. Whatever the protocol, a statement runs only on "approved".
 */
export class ReviewCoordinator {
  private readonly waiting = new Map<string, { resolve: (o: ReviewOutcome) => void; timer: NodeJS.Timeout; ctx: SessionContext; outcome?: Promise<ReviewOutcome> }>();

  constructor(private readonly deps: Deps) {}

  async hold(req: HoldRequest): Promise<Hold> {
    const [row] = await this.deps.db
      .insert(reviews)
      .values({
        sessionId: req.ctx.sessionId,
        connectionName: req.ctx.connectionName,
        protocol: req.ctx.protocol,
        identityName: req.ctx.identityName,
        groups: req.ctx.groups,
        clientAddr: req.ctx.clientAddr,
        statement: req.statement,
        summary: req.summary,
        ruleName: req.ruleName,
        reason: req.reason,
        approverGroups: req.approverGroups,
        requiredApprovals: req.requiredApprovals,
        gatewayInstance: this.deps.instance,
        expiresAt: new Date(Date.now() + req.timeoutMs),
        requestFingerprint: req.requestFingerprint ?? null,
      })
      .returning({ id: reviews.id });
    const reviewId = row.id;
    const link = `${this.deps.consoleUrl.replace(/\/$/, "")}/reviews/${reviewId}`;
    const outcome = new Promise<ReviewOutcome>((resolve) => {
      const timer = setTimeout(() => void this.expire(reviewId), req.timeoutMs);
      this.waiting.set(reviewId, { resolve, timer, ctx: req.ctx });
    });
    this.waiting.get(reviewId)!.outcome = outcome;
    this.audit(req.ctx, "review.requested", "ok", req.statement, `held for approval (${req.reason}): ${link}`);
    if (req.estimate) void this.recordEstimate(reviewId, req.estimate);
    if (this.deps.notify) this.deps.notify({ id: reviewId, link, req }).catch((err) => this.deps.log(`review ${reviewId}: webhook failed: ${(err as Error).message}`));
    return { reviewId, link, outcome };
  }

  /** The outcomes of what this instance holds for these sessions (none: nothing of theirs is held here). */
  heldFor(sessionIds: readonly string[]): Array<Promise<ReviewOutcome>> {
    return [...this.waiting.values()].filter((w) => sessionIds.includes(w.ctx.sessionId) && w.outcome).map((w) => w.outcome!);
  }

  /** Releases held commands when the console decides (`reviews.decided`). */
  subscribe(bus: Bus): void {
    bus.on("reviews.decided", ({ reviewId }) => {
      this.onDecided(reviewId).catch((err) => this.deps.log(`could not read the decision on review ${reviewId}: ${(err as Error).message}`));
    });
  }

  /** Called for every `reviews.decided` bus event; only the instance holding the statement acts. */
  async onDecided(reviewId: string): Promise<void> {
    if (!this.waiting.has(reviewId)) return;
    const [r] = await this.deps.db.select().from(reviews).where(eq(reviews.id, reviewId));
    if (!r || r.status === "pending") return;
    if (r.status === "approved") return this.settle(reviewId, { status: "approved", decidedBy: r.decidedBy ?? "an approver" });
    const message =
      r.status === "rejected" ? `rejected by ${r.decidedBy}: ${r.decisionReason ?? "no reason given"}` : r.status === "expired" ? "nobody approved it in time" : "the review was cancelled";
    this.settle(reviewId, { status: r.status, message });
  }

  /** The client went away (or the session was killed): nobody is waiting for this statement any more. */
  async cancel(reviewId: string, why: string): Promise<void> {
    if (!this.waiting.has(reviewId)) return;
    await this.deps.db
      .update(reviews)
      .set({ status: "cancelled", decisionReason: why, decidedAt: sql`now()` })
      .where(and(eq(reviews.id, reviewId), eq(reviews.status, "pending")))
      .catch((err) => this.deps.log(`review ${reviewId}: could not mark it cancelled: ${(err as Error).message}`));
    this.settle(reviewId, { status: "cancelled", message: why });
  }

  /**
   * At start: reviews an earlier run of this instance left pending can never be released (their
   * clients are gone with it), so they are cancelled rather than left for an approver to approve.
   */
  async cancelLeftovers(): Promise<number> {
    const rows = await this.deps.db
      .update(reviews)
      .set({ status: "cancelled", decisionReason: "the gateway instance holding it stopped", decidedAt: sql`now()` })
      .where(and(eq(reviews.status, "pending"), eq(reviews.gatewayInstance, this.deps.instance)))
      .returning({ id: reviews.id });
    return rows.length;
  }

  /** Gateway shutdown: every held statement is refused and its review cancelled. */
  async close(): Promise<void> {
    await Promise.all([...this.waiting.keys()].map((id) => this.cancel(id, "the gateway holding it shut down")));
  }

  private async expire(reviewId: string): Promise<void> {
    // Only a still-pending review expires: a decision that won the race stands.
    const expired = await this.deps.db
      .update(reviews)
      .set({ status: "expired", decidedAt: sql`now()` })
      .where(and(eq(reviews.id, reviewId), eq(reviews.status, "pending")))
      .returning({ id: reviews.id })
      .catch(() => []);
    if (expired.length) return this.settle(reviewId, { status: "expired", message: "nobody approved it in time" });
    await this.onDecided(reviewId).catch(() => this.settle(reviewId, { status: "failed", message: "its review could not be read" }));
  }

  private settle(reviewId: string, outcome: ReviewOutcome): void {
    const w = this.waiting.get(reviewId);
    if (!w) return;
    this.waiting.delete(reviewId);
    clearTimeout(w.timer);
    const detail = outcome.status === "approved" ? `approved by ${outcome.decidedBy}` : outcome.message;
    this.audit(w.ctx, `review.${outcome.status}`, outcome.status === "approved" ? "ok" : "denied", null, `review ${reviewId}: ${detail}`);
    w.resolve(outcome);
  }

  private async recordEstimate(reviewId: string, estimate: () => Promise<BlastRadius>): Promise<void> {
    const blast = await estimate().catch((err: Error): BlastRadius => ({ note: `no estimate: ${err.message}` }));
    await this.deps.db
      .update(reviews)
      .set({ blastRadius: blast })
      .where(eq(reviews.id, reviewId))
      .catch(() => {});
  }

  private audit(ctx: SessionContext, action: string, outcome: AuditEvent["outcome"], statement: string | null, message: string): void {
    this.deps.audit({ ...ctx, at: new Date(), action, outcome, statement, message });
  }
}
