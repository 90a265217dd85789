import { createHash } from "node:crypto";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { reviews } from "../../drizzle/schema/index";
import type { GatewayDeps } from "../gateway-deps";
import type { SessionContext } from "../../core/audit/audit-event";
import type { Verdict } from "../../core/policy/evaluate-policy";
import { holdForReview } from "./hold";

/**
 * Held commands answered at once, for clients that cannot wait for a human: an HTTP connection's
 * `heldRequests: accepted` or a request's `Prefer: respond-async` (RFC 7240) on the API proxy and the
 * Kubernetes route (202 with the review's link), and a MySQL client's connection attribute
 * `gatehouse_prefer=respond-async` (an ERR with the link). The review carries a fingerprint of the
 * command (who, where, what: method, path, query and body, or the SQL text); the approved review lets
 * that exact command through once when it is sent again, wherever it arrives (the reviews are in the
 * shared database, so any gateway instance honours it). A rejection is told to the next copy, once.
 */

/** How long after the decision an approval (or a rejection) waits for the request to be sent again. */
export const ACCEPTED_VALID_MS = 15 * 60_000;

export function requestFingerprint(r: { identityName: string; connectionName: string; method: string; target: string; body: Buffer | null }): string {
  const h = createHash("sha256");
  for (const part of [r.identityName, r.connectionName, r.method, r.target]) h.update(part).update("\0");
  h.update(r.body ?? Buffer.alloc(0));
  return h.digest("hex");
}

/** What an earlier 202 review of the same request says now. */
export type EarlierReview =
  { state: "approved"; reviewId: string; decidedBy: string } | { state: "refused"; reviewId: string; message: string } | { state: "pending"; reviewId: string; link: string } | null;

/**
 * The newest review of this request not used up yet. An approval or a rejection is used up here
 * (atomically: two copies of the request sent at once run once between them); a pending one is
 * reported as it is, so a client that retries early gets the same review, not a new one.
 */
export async function earlierReview(db: Db, fingerprint: string, consoleUrl: string): Promise<EarlierReview> {
  const [r] = await db
    .select({ id: reviews.id, status: reviews.status, decidedBy: reviews.decidedBy, decisionReason: reviews.decisionReason, expiresAt: reviews.expiresAt, decidedAt: reviews.decidedAt })
    .from(reviews)
    .where(and(eq(reviews.requestFingerprint, fingerprint), isNull(reviews.consumedAt)))
    .orderBy(desc(reviews.createdAt))
    .limit(1);
  if (!r) return null;
  if (r.status === "pending") return r.expiresAt.getTime() > Date.now() ? { state: "pending", reviewId: r.id, link: `${consoleUrl.replace(/\/$/, "")}/reviews/${r.id}` } : null;
  if ((r.status !== "approved" && r.status !== "rejected") || !r.decidedAt || Date.now() - r.decidedAt.getTime() > ACCEPTED_VALID_MS) return null;
  const used = await db
    .update(reviews)
    .set({ consumedAt: sql`now()` })
    .where(and(eq(reviews.id, r.id), isNull(reviews.consumedAt)))
    .returning({ id: reviews.id });
  // Another copy of the request took it first: this one starts over.
  if (used.length === 0) return null;
  if (r.status === "approved") return { state: "approved", reviewId: r.id, decidedBy: r.decidedBy ?? "an approver" };
  return { state: "refused", reviewId: r.id, message: `rejected by ${r.decidedBy ?? "an approver"}: ${r.decisionReason ?? "no reason given"}` };
}

/** Whether this request asks to be answered at once while it is held (RFC 7240 `Prefer: respond-async`). */
export function prefersAsync(prefer: string | string[] | undefined): boolean {
  const values = Array.isArray(prefer) ? prefer : prefer ? [prefer] : [];
  return values.some((v) => v.split(",").some((p) => p.trim().split(/[;=]/)[0].trim().toLowerCase() === "respond-async"));
}

/** What becomes of a held request answered at once: it runs (approved earlier), it is refused, or it waits (202). */
export type AcceptedDecision = { kind: "run"; message: string } | { kind: "refused"; message: string; reviewId?: string } | { kind: "pending"; reviewId: string; link: string; message: string };

/**
 * For any HTTP route (the API proxy, the Kubernetes API): an earlier review of the same request that
 * was approved lets it run; a rejected one refuses it; a pending one, or a new review recorded here,
 * makes it wait. The route renders the answer in its own format (JSON refusal, Kubernetes Status).
 */
export async function decideAccepted(
  deps: GatewayDeps,
  ctx: SessionContext,
  verdict: Extract<Verdict, { action: "review" }>,
  req: { statement: string; fingerprint: string },
): Promise<AcceptedDecision> {
  const earlier = await earlierReview(deps.db, req.fingerprint, deps.config.consoleUrl);
  if (earlier?.state === "approved") return { kind: "run", message: `approved by ${earlier.decidedBy} (review ${earlier.reviewId}), sent again` };
  if (earlier?.state === "refused") return { kind: "refused", message: `Gatehouse did not run this request: ${earlier.message}`, reviewId: earlier.reviewId };
  let link = earlier?.state === "pending" ? earlier.link : undefined;
  let wait: string | undefined;
  if (!link) {
    const held = holdForReview(deps, ctx, verdict, { statement: req.statement, requestFingerprint: req.fingerprint });
    // Nobody waits on the decision here: the review stays pending until decided or expired; the client asks again.
    const refused = await new Promise<string | null>((resolve) => {
      held
        .start((n) => {
          link = n.link;
          wait = n.wait;
          resolve(null);
        })
        .then(
          (o) => resolve(o.approved ? null : o.message),
          () => resolve("the review could not be recorded"),
        );
    });
    if (refused !== null || !link) return { kind: "refused", message: `Gatehouse did not run this request: ${refused ?? "the review could not be recorded"}` };
  }
  const reviewId = link.slice(link.lastIndexOf("/") + 1);
  const message = `Gatehouse is holding this request for approval (${verdict.decision.reason}). Send the same request again once it is approved: it then runs, once.${wait ? ` The review waits up to ${wait}.` : ""}`;
  return { kind: "pending", reviewId, link, message };
}
