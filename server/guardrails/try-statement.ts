import { classifyStatement, type Classification, type StatementClass } from "../../core/policy/classify-statement";
import { evaluatePolicy } from "../../core/policy/evaluate-policy";
import type { Policy } from "../../core/policy/policy";
import { StatementGuard } from "../../gateway/protocols/postgres/statement-guard";
import { loadSqlParser, StatementAnalyzer } from "../../core/sql/statement-analyzer";

export type StatementVerdict = {
  text: string;
  kind: string;
  classes: StatementClass[];
  tables: string[];
  functions: string[];
  action: "allow" | "deny" | "review";
  rule: string | null;
  /** 1-based position of the deciding rule in the list, or null for the default. */
  position: number | null;
  reason: string;
};
export type TryResult =
  | { parsed: false; error: string; verdict: "deny"; explanation: string }
  | { parsed: true; statements: StatementVerdict[]; verdict: "allow" | "deny" | "review"; explanation: string };

/**
 * What the gateway would do with `text` under `policy` (saved or not) for this identity: each
 * statement's kind, classes, tables, functions and deciding rule, and the verdict on the whole
 * text, taken by the gateway's own guard so the preview cannot drift from the data path.
 */
export async function tryStatement(policy: Policy, who: { name: string; groups: string[] }, text: string): Promise<TryResult> {
  await loadSqlParser();
  const analyzer = new StatementAnalyzer();
  const analysis = analyzer.analyze(text);
  if (!analysis.ok) return { parsed: false, error: analysis.error, verdict: "deny", explanation: `refused (fail closed): the parser says ${analysis.error}` };
  // A PREPARE earlier in the text is what a later EXECUTE runs, as in the gateway's guard.
  const prepared = new Map<string, Classification>();
  const statements = analysis.statements.map((s): StatementVerdict => {
    let c = classifyStatement(s);
    if (c.prepares) prepared.set(c.prepares, c);
    if (c.executes) c = { ...(prepared.get(c.executes) ?? c), kind: s.kind };
    const d = evaluatePolicy(policy, who, c, s.text);
    const index = d.rule === null ? -1 : policy.rules.findIndex((r) => r.name === d.rule);
    return { text: s.text, kind: s.kind, classes: c.classes, tables: c.tables, functions: c.functions, action: d.action, rule: d.rule, position: index < 0 ? null : index + 1, reason: d.reason };
  });
  const judgement = new StatementGuard(() => policy, who, analyzer).judge(text);
  if (!judgement) return { parsed: true, statements, verdict: "allow", explanation: "every statement is allowed" };
  if ("refusal" in judgement) return { parsed: true, statements, verdict: "deny", explanation: `the gateway answers 42501 "${judgement.refusal.error.message}"` };
  const { decision, rule } = judgement.review;
  const approvers = rule?.approvers?.length ? `members of ${rule.approvers.join(", ")}` : "any approver";
  const wait = `${rule?.requiredApprovals ?? 1} approval(s) from ${approvers}`;
  return { parsed: true, statements, verdict: "review", explanation: `${decision.reason}; the whole text waits for ${wait}` };
}
