import { redactStatementSecrets } from "../../core/audit/statement-secrets";
import type { GatewayDeps } from "../gateway-deps";
import type { SessionContext } from "../../core/audit/audit-event";
import type { Verdict } from "../../core/policy/evaluate-policy";
import type { BlastRadius } from "../../drizzle/schema/index";
import type { Hold, HoldRequest } from "./review-coordinator";

/** What a client is told while its command waits: the review's console link, why, and how long it may wait. */
export type HoldNotice = { link: string; reason: string; wait: string };
/** `withdrawn`: the client itself cancelled the command (Ctrl-C); adapters answer as their protocol answers a cancel. */
export type HoldOutcome = { approved: true } | { approved: false; message: string; withdrawn?: boolean };

/** Why a review a client withdrew was cancelled, as the audit and the console show it. */
export const WITHDRAWN_BY_CLIENT = "cancelled by the client";

/**
 * A command held for a human: start() records the review and resolves with the decision; cancel()
 * says nobody waits any more (the client went away); withdraw() is the client cancelling the command
 * itself (a Postgres CancelRequest, an SSH signal): the review is cancelled as cancelled by the client
 * and the outcome says `withdrawn`.
 */
export type HeldCommand = {
  start: (tell: (notice: HoldNotice) => void) => Promise<HoldOutcome>;
  cancel: (why: string) => void;
  withdraw: () => void;
};

/**
 * Holds the command a `review` verdict names, for any protocol: records the review through the
 * shared coordinator (which the console's decision, the timeout or a cancel settles), tells the
 * client through the adapter, and fails closed (a review that cannot be recorded cannot be
 * approved). The adapter renders the notice and a refusal in its own protocol.
 */
export function holdForReview(
  deps: GatewayDeps,
  ctx: SessionContext,
  verdict: Extract<Verdict, { action: "review" }>,
  opts: { statement: string; estimate?: () => Promise<BlastRadius>; requestFingerprint?: string },
): HeldCommand {
  const { command, decision, rule } = verdict;
  return holdRequest(deps, {
    ctx,
    // What the approver reads: the statement without the credentials it carries (what runs is the client's own).
    statement: redactStatementSecrets(opts.statement),
    summary: { kind: command.kind, classes: command.classes, tables: command.resources, functions: command.functions, ...(command.noun === "statement" ? { locks: command.locks } : {}) },
    ruleName: decision.rule,
    reason: decision.reason,
    approverGroups: rule?.approvers ?? [],
    requiredApprovals: rule?.requiredApprovals ?? 1,
    timeoutMs: (rule?.timeoutSeconds ?? deps.config.reviews.timeoutSeconds) * 1000,
    estimate: opts.estimate,
    requestFingerprint: opts.requestFingerprint,
  });
}

/** Any hold, as holdForReview describes (a guardrail's review, an exceeded data budget). */
export function holdRequest(deps: GatewayDeps, req: HoldRequest): HeldCommand {
  const { ctx, timeoutMs } = req;
  let hold: Hold | undefined;
  let cancelled: string | undefined;
  let withdrawn = false;
  const cancel = (why: string) => {
    if (cancelled !== undefined) return;
    cancelled = why;
    if (hold) void deps.reviews.cancel(hold.reviewId, why);
  };
  return {
    async start(tell) {
      try {
        hold = await deps.reviews.hold(req);
      } catch (err) {
        deps.log(`${ctx.protocol}: could not record a review: ${(err as Error).message}`);
        return { approved: false, message: "it needs approval, but the review could not be recorded; try again shortly" };
      }
      if (cancelled !== undefined) {
        await deps.reviews.cancel(hold.reviewId, cancelled);
        return { approved: false, message: withdrawn ? WITHDRAWN_BY_CLIENT : "the review was cancelled", withdrawn };
      }
      const minutes = Math.round(timeoutMs / 60000);
      tell({ link: hold.link, reason: req.reason, wait: minutes >= 1 ? `${minutes} minute(s)` : `${timeoutMs / 1000} s` });
      const outcome = await hold.outcome;
      if (outcome.status === "approved") return { approved: true };
      // A decision that won the race against the client's cancel stands as decided.
      return { approved: false, message: outcome.message, withdrawn: withdrawn && outcome.status === "cancelled" };
    },
    cancel,
    withdraw() {
      withdrawn = cancelled === undefined || withdrawn;
      cancel(WITHDRAWN_BY_CLIENT);
    },
  };
}
