import type { StatementClass } from "../../core/policy/classify-statement";
import { evaluatePolicy, judgeCommands } from "../../core/policy/evaluate-policy";
import type { Policy } from "../../core/policy/policy";
import type { LockLevel } from "../../core/policy/lock-levels";
import { SqlSession } from "../../core/policy/sql-commands";
import { loadSqlParser, StatementAnalyzer } from "../../core/sql/statement-analyzer";

export type StatementVerdict = {
  text: string;
  kind: string;
  classes: StatementClass[];
  tables: string[];
  functions: string[];
  /** The strongest table lock it takes (null: none). */
  locks: LockLevel | null;
  action: "allow" | "deny" | "review";
  rule: string | null;
  /** 1-based position of the deciding rule in the list, or null for the default. */
  position: number | null;
  reason: string;
};
export type TryResult =
  { parsed: false; error: string; verdict: "deny"; explanation: string } | { parsed: true; statements: StatementVerdict[]; verdict: "allow" | "deny" | "review"; explanation: string };

/**
 * What the gateway would do with `text` under `policy` (saved or not) for this identity: each
 * statement's kind, classes, tables, functions and deciding rule, and the verdict on the whole
 * text, taken with the gateway's own SQL session model and judge so the preview cannot drift from
 * the data path.
 */
export async function tryStatement(policy: Policy, who: { name: string; groups: string[] }, text: string): Promise<TryResult> {
  await loadSqlParser();
  const parsed = new SqlSession(new StatementAnalyzer()).commands(text);
  if (!parsed.ok) return { parsed: false, error: parsed.error, verdict: "deny", explanation: `refused (fail closed): the parser says ${parsed.error}` };
  const statements = parsed.statements.map(({ statement: s, classification: c, command }): StatementVerdict => {
    const d = evaluatePolicy(policy, who, command);
    const index = d.rule === null ? -1 : policy.rules.findIndex((r) => r.name === d.rule);
    return {
      text: s.text,
      kind: s.kind,
      classes: c.classes,
      tables: c.tables,
      functions: c.functions,
      locks: c.locks,
      action: d.action,
      rule: d.rule,
      position: index < 0 ? null : index + 1,
      reason: d.reason,
    };
  });
  const verdict = judgeCommands(
    policy,
    who,
    parsed.statements.map((s) => s.command),
  );
  if (verdict.action === "allow") return { parsed: true, statements, verdict: "allow", explanation: "every statement is allowed" };
  if (verdict.action === "deny") return { parsed: true, statements, verdict: "deny", explanation: `the gateway answers 42501 "Gatehouse denied this statement: ${verdict.decision.reason}"` };
  const { decision, rule } = verdict;
  const approvers = rule?.approvers?.length ? `members of ${rule.approvers.join(", ")}` : "any approver";
  const wait = `${rule?.requiredApprovals ?? 1} approval(s) from ${approvers}`;
  return { parsed: true, statements, verdict: "review", explanation: `${decision.reason}; the whole text waits for ${wait}` };
}
