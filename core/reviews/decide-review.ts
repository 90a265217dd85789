import { eq, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { reviews, type ReviewApproval } from "../../drizzle/schema/index";
import { publish } from "../bus/event-bus";

export type ReviewDecisionErrorCode = "NOT_FOUND" | "CONFLICT" | "FORBIDDEN" | "INVALID";

/** A decision that cannot be taken, with a message the approver can act on. */
export class ReviewDecisionError extends Error {
  constructor(
    readonly code: ReviewDecisionErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type Decider = {
  /** The approver's console e-mail. */
  email: string;
  /** The gateway identity the person uses, if linked (so they cannot approve their own statement). */
  identityName?: string | null;
  groups: string[];
};

export type DecideInput = { reviewId: string; decision: "approve" | "reject"; reason?: string; decider: Decider };
export type DecideResult = { status: "pending" | "approved" | "rejected"; approvals: number; requiredApprovals: number };

/**
 * Takes one approver's decision on a held statement, in the shared database only: a row lock
 * makes concurrent decisions serialise, and `reviews.decided` on the bus tells whichever gateway
 * instance holds the statement. Approval needs `requiredApprovals` distinct people; one
 * rejection ends the review. Nobody decides on their own statement.
 */
export async function decideReview(db: Db, input: DecideInput): Promise<DecideResult> {
  if (!/^[0-9a-f-]{36}$/i.test(input.reviewId)) throw new ReviewDecisionError("NOT_FOUND", "no such review");
  const reason = input.reason?.trim() ?? "";
  if (input.decision === "reject" && !reason) throw new ReviewDecisionError("INVALID", "say why you reject it: the requester sees the reason");
  if (reason.length > 1000) throw new ReviewDecisionError("INVALID", "a reason is at most 1000 characters");
  return db.transaction(async (tx) => {
    const [review] = await tx.select().from(reviews).where(eq(reviews.id, input.reviewId)).for("update");
    if (!review) throw new ReviewDecisionError("NOT_FOUND", "no such review");
    if (review.status !== "pending") throw new ReviewDecisionError("CONFLICT", `this review is already ${review.status}`);
    if (review.expiresAt.getTime() <= Date.now()) throw new ReviewDecisionError("CONFLICT", "this review has timed out; the statement was refused");
    const self = [input.decider.email.toLowerCase(), input.decider.identityName?.toLowerCase()].filter(Boolean);
    if (self.includes(review.identityName.toLowerCase())) throw new ReviewDecisionError("FORBIDDEN", "nobody decides on their own request: another approver must");
    if (review.approverGroups.length && !review.approverGroups.some((g) => input.decider.groups.includes(g))) {
      throw new ReviewDecisionError("FORBIDDEN", `only members of ${review.approverGroups.join(", ")} may decide on this statement`);
    }
    if (review.approvals.some((a) => a.by === input.decider.email)) throw new ReviewDecisionError("CONFLICT", "you already approved this; it waits for another approver");

    let result: DecideResult;
    if (input.decision === "reject") {
      await tx
        .update(reviews)
        .set({ status: "rejected", decidedBy: input.decider.email, decisionReason: reason, decidedAt: sql`now()` })
        .where(eq(reviews.id, review.id));
      result = { status: "rejected", approvals: review.approvals.length, requiredApprovals: review.requiredApprovals };
    } else {
      const approvals: ReviewApproval[] = [...review.approvals, { by: input.decider.email, at: new Date().toISOString() }];
      const done = approvals.length >= review.requiredApprovals;
      await tx
        .update(reviews)
        .set({
          approvals,
          ...(done ? { status: "approved" as const, decidedBy: approvals.map((a) => a.by).join(", "), decisionReason: reason || null, decidedAt: sql`now()` } : {}),
        })
        .where(eq(reviews.id, review.id));
      result = { status: done ? "approved" : "pending", approvals: approvals.length, requiredApprovals: review.requiredApprovals };
    }
    if (result.status !== "pending") await publish(tx as unknown as Db, "reviews.decided", { reviewId: review.id });
    return result;
  });
}
