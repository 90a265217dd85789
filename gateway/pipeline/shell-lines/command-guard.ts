import type { GatewayDeps } from "../../gateway-deps";
import type { SessionContext } from "../../../core/audit/audit-event";
import { classifyCommand } from "../../../core/policy/classify-command";
import { judgeCommands, type Subject } from "../../../core/policy/evaluate-policy";
import type { Policy } from "../../../core/policy/policy";
import { holdForReview } from "../hold";

export type CommandVerdict =
  | { action: "allow"; kind: string }
  | { action: "deny"; kind: string; message: string }
  | { action: "review"; kind: string; run: (tell: (line: string) => void, cancelled: Promise<string>, withdrawn?: Promise<void>) => Promise<string | null> };

/**
 * Judges a shell command (an `ssh host cmd` exec, or a line typed in a shell) with the shared
 * judge and holds a held one with the shared hold (gateway/pipeline); renders both as the lines an
 * SSH client reads. The caller turns a verdict into stderr and an exit status, or terminal text.
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

  /** `typed`: a line typed into a shell, whose next lines are judged too (an exec's stdin is not). */
  judge(line: string, opts: { typed?: boolean } = {}): CommandVerdict {
    const policy = this.policy();
    const command = classifyCommand(line, 0, { terminal: opts.typed === true });
    if (!policy) return { action: "allow", kind: command.kind };
    const verdict = judgeCommands(policy, this.who, [command]);
    if (verdict.action === "allow") return { action: "allow", kind: command.kind };
    if (verdict.action === "deny") return { action: "deny", kind: command.kind, message: `Gatehouse denied this command: ${verdict.decision.reason}` };
    return {
      action: "review",
      kind: command.kind,
      run: async (tell, cancelled, withdrawn) => {
        const held = holdForReview(this.deps, this.ctx, verdict, { statement: line });
        void cancelled.then((why) => held.cancel(why));
        void withdrawn?.then(() => held.withdraw());
        const outcome = await held.start((n) => {
          tell(`Gatehouse is holding this command for approval: ${n.link}`);
          tell(`(${n.reason}; it runs when approved, and is refused on rejection or after ${n.wait}. Stay connected.)`);
        });
        return outcome.approved ? null : `Gatehouse did not run this command: ${outcome.message}`;
      },
    };
  }
}
