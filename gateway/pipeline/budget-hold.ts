import type { GatewayDeps } from "../gateway-deps";
import type { SessionContext } from "../../core/audit/audit-event";
import { holdRequest, type HeldCommand } from "./hold";
import type { BudgetOverrun } from "./budgets";

/**
 * An exceeded budget whose rule says `review`: the result stays held (the adapter stops reading
 * the target) while any approver decides; an approval grants the identity the budget's size again
 * in this window before the result resumes. A budget that says `refuse` never gets here.
 */
export function holdForBudget(deps: GatewayDeps, ctx: SessionContext, overrun: BudgetOverrun, statement: string): HeldCommand {
  const held = holdRequest(deps, {
    ctx,
    statement,
    summary: { kind: "data budget", classes: ["read"], tables: [], functions: [] },
    ruleName: `budget ${overrun.budget}`,
    reason: overrun.message,
    approverGroups: [],
    requiredApprovals: 1,
    timeoutMs: deps.config.reviews.timeoutSeconds * 1000,
    // What the review page shows in place of a write's blast radius: what approving does.
    estimate: async () => ({
      note: `Approving extends the budget: ${ctx.identityName} may receive ${overrun.extension} more this ${overrun.details.window}, and the held result resumes where it stopped.`,
    }),
  });
  return {
    ...held,
    async start(tell) {
      const outcome = await held.start(tell);
      if (!outcome.approved) return outcome;
      try {
        await overrun.extend();
        return outcome;
      } catch (err) {
        deps.log(`${ctx.protocol}: an approved budget extension could not be stored: ${(err as Error).message}`);
        return { approved: false, message: "approved, but the extension could not be stored; try again shortly" };
      }
    },
  };
}

/** The `budget.exceeded` audit event, with the figures, whatever the rule then does. */
export function auditOverrun(
  audit: (e: { action: string; outcome: "denied"; statement: string | null; message: string; details: Record<string, unknown> }) => void,
  overrun: BudgetOverrun,
  statement: string | null,
): void {
  audit({
    action: "budget.exceeded",
    outcome: "denied",
    statement,
    message: `${overrun.message}; ${overrun.onExceed === "review" ? "held for an approver to extend it" : "result cut off"}`,
    details: { budget: overrun.details },
  });
}
