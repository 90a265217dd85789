import type { GatewayDeps } from "../../gateway-deps";
import type { SessionContext } from "../../../core/audit/audit-event";
import { classifyCommand } from "../../../core/policy/classify-command";
import { evaluatePolicy, type Subject } from "../../../core/policy/evaluate-policy";
import type { Policy } from "../../../core/policy/policy";

export type CommandVerdict =
  | { action: "allow"; kind: string }
  | { action: "deny"; kind: string; message: string }
  | { action: "review"; kind: string; run: (tell: (line: string) => void, cancelled: Promise<string>) => Promise<string | null> };

/**
 * Judges a shell command (an `ssh host cmd` exec, or a line typed in a shell) against the
 * connection's guardrail policy with the shared engine, and runs the review of a held one through
 * the shared coordinator. Protocol-neutral: the caller turns a verdict into stderr and an exit
 * status (SSH) or terminal text (shells, the browser terminal).
 */
export class CommandGuard {
  constructor(
    private readonly deps: GatewayDeps,
    private readonly policy: () => Policy | null,
    private readonly who: Subject,
    private readonly ctx: SessionContext,
  ) {}

  /** Whether any rule could apply (shell lines are tracked only then). */
  get active(): boolean {
    const p = this.policy();
    return !!p && (p.rules.length > 0 || p.defaultAction !== "allow");
  }

  judge(command: string): CommandVerdict {
    const policy = this.policy();
    const c = classifyCommand(command);
    if (!policy) return { action: "allow", kind: c.kind };
    const d = evaluatePolicy(policy, this.who, c, command);
    if (d.action === "allow") return { action: "allow", kind: c.kind };
    const reason = d.rule ? `rule "${d.rule}" matches this command` : `no rule matches; the connection's default is ${d.action}`;
    if (d.action === "deny") return { action: "deny", kind: c.kind, message: `Gatehouse denied this command: ${reason}` };
    const rule = policy.rules.find((r) => r.name === d.rule);
    const timeoutMs = (rule?.timeoutSeconds ?? this.deps.config.reviews.timeoutSeconds) * 1000;
    return {
      action: "review",
      kind: c.kind,
      run: async (tell, cancelled) => {
        let hold;
        try {
          hold = await this.deps.reviews.hold({
            ctx: this.ctx, statement: command, summary: { kind: c.kind, classes: [], tables: [], functions: [] }, ruleName: d.rule, reason,
            approverGroups: rule?.approvers ?? [], requiredApprovals: rule?.requiredApprovals ?? 1, timeoutMs,
          });
        } catch (err) {
          this.deps.log(`ssh: could not record a review: ${(err as Error).message}`);
          return "Gatehouse did not run this command: it needs approval, but the review could not be recorded; try again shortly";
        }
        const minutes = Math.round(timeoutMs / 60000);
        tell(`Gatehouse is holding this command for approval: ${hold.link}`);
        tell(`(${reason}; it runs when approved, and is refused on rejection or after ${minutes >= 1 ? `${minutes} minute(s)` : `${timeoutMs / 1000} s`}. Stay connected.)`);
        void cancelled.then((why) => this.deps.reviews.cancel(hold.reviewId, why));
        const outcome = await hold.outcome;
        return outcome.status === "approved" ? null : `Gatehouse did not run this command: ${outcome.message}`;
      },
    };
  }
}
