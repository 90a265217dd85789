import type { GatewayDeps } from "../../gateway-deps";
import type { SessionContext } from "../../../core/audit/audit-event";
import { estimateBlastRadius } from "./blast-radius";
import type { Hold } from "../../pipeline/review-coordinator";
import { noticeResponse } from "./backend-messages";
import { SqlState } from "./message-codes";
import { PgError } from "./pg-error";
import type { RequestReview } from "./statement-guard";
import type { PgTarget } from "./target-socket";

/**
 * The Postgres side of a review: records it through the shared coordinator, tells the client
 * with a NOTICE (psql prints it at once; the connection stays open), and turns a rejection,
 * timeout or cancellation into a 42501 error naming the reason.
 */
export function postgresReviewer(deps: GatewayDeps, ctx: SessionContext, target: PgTarget): RequestReview {
  return (need, text) => {
    let hold: Hold | undefined;
    let cancelled: string | undefined;
    const timeoutMs = (need.rule?.timeoutSeconds ?? deps.config.reviews.timeoutSeconds) * 1000;
    const writes = need.classification.classes.includes("write") || need.classification.classes.includes("ddl");
    return {
      async start(tellClient) {
        try {
          hold = await deps.reviews.hold({
            ctx,
            statement: text,
            summary: { kind: need.kind, classes: need.classification.classes, tables: need.classification.tables, functions: need.classification.functions },
            ruleName: need.decision.rule,
            reason: need.decision.reason,
            approverGroups: need.rule?.approvers ?? [],
            requiredApprovals: need.rule?.requiredApprovals ?? 1,
            timeoutMs,
            estimate: writes
              ? () => estimateBlastRadius({ ...target, ssl: target.sslmode === "require" || target.sslmode === "verify-full" }, { kind: need.kind, text: need.statement, tables: need.classification.tables })
              : undefined,
          });
        } catch (err) {
          // Fail closed: a review that cannot be recorded cannot be approved.
          deps.log(`postgres: could not record a review: ${(err as Error).message}`);
          return refusal(need.kind, "it needs approval, but the review could not be recorded; try again shortly");
        }
        if (cancelled !== undefined) {
          await deps.reviews.cancel(hold.reviewId, cancelled);
          return refusal(need.kind, "the review was cancelled");
        }
        const minutes = Math.round(timeoutMs / 60000);
        tellClient(
          noticeResponse({
            severity: "NOTICE",
            code: "01000",
            message: `Gatehouse is holding this ${need.kind} for approval: ${hold.link}`,
            detail: `${need.decision.reason}. It runs as soon as an approver approves it; a rejection, or no decision within ${minutes >= 1 ? `${minutes} minute(s)` : `${timeoutMs / 1000} s`}, returns an error. Stay connected.`,
          }),
        );
        const outcome = await hold.outcome;
        if (outcome.status === "approved") return null;
        return refusal(need.kind, outcome.message);
      },
      cancel(why) {
        cancelled = why;
        if (hold) void deps.reviews.cancel(hold.reviewId, why);
      },
    };
  };
}

function refusal(kind: string, why: string) {
  return { kind, error: new PgError("ERROR", SqlState.InsufficientPrivilege, `Gatehouse did not run this ${kind}: ${why}`) };
}
