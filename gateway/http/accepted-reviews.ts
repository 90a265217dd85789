import { createHash } from "node:crypto";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { reviews } from "../../drizzle/schema/index";

/**
 * Held requests answered at once (an HTTP connection's `heldRequests: accepted`, or a client's
 * `Prefer: respond-async`, RFC 7240): the client gets 202 with the review's link instead of waiting
 * for a human, and sends the same request again once it is approved. The review carries a
 * fingerprint of the request (who, where, method, path, query, body); the approved review lets that
 * exact request through once, wherever it arrives (the reviews are in the shared database, so any
 * gateway instance honours it). A rejection is told to the next such request, once.
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
