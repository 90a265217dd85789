import "server-only";
import { eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { identities } from "../../drizzle/schema/index";
import { decideReview as decide, ReviewDecisionError } from "../../core/reviews/decide-review";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";
import { getReview } from "./list-reviews";

/** An approver's decision from the console: the shared domain function, plus the audit event. */
export async function decideReviewAsUser(db: Db, user: ConsoleUserContext & { groups: string[] }, input: { id: string; decision: "approve" | "reject"; reason?: string }) {
  const identityName = user.identityId ? (await db.select({ name: identities.name }).from(identities).where(eq(identities.id, user.identityId)))[0]?.name : null;
  const review = await getReview(db, input.id);
  try {
    const result = await decide(db, { reviewId: input.id, decision: input.decision, reason: input.reason, decider: { email: user.email, identityName, groups: user.groups } });
    await recordConsoleEvent(db, {
      action: `console.review.${input.decision}`,
      outcome: "ok",
      actor: user.email,
      connectionName: review?.connectionName,
      target: input.id,
      message: `${input.decision === "approve" ? "approved" : "rejected"} ${review?.summary.kind ?? "a statement"} by ${review?.identityName ?? "?"}${input.reason ? `: ${input.reason}` : ""} (${result.status}, ${result.approvals}/${result.requiredApprovals} approvals)`,
    });
    return result;
  } catch (err) {
    if (!(err instanceof ReviewDecisionError)) throw err;
    await recordConsoleEvent(db, { action: `console.review.${input.decision}`, outcome: "denied", actor: user.email, connectionName: review?.connectionName, target: input.id, message: err.message });
    throw new AppError(err.code === "INVALID" ? "INVALID_INPUT" : err.code, err.message, err.code === "INVALID" ? { reason: err.message } : undefined);
  }
}
