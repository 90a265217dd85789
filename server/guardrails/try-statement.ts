import { classifyStatement, type StatementClass } from "../../gateway/policy/classify-statement";
import { evaluatePolicy } from "../../gateway/policy/evaluate-policy";
import type { Policy } from "../../gateway/policy/policy";
import { StatementGuard } from "../../gateway/protocols/postgres/statement-guard";
import { loadSqlParser, StatementAnalyzer } from "../../gateway/sql/statement-analyzer";

export type StatementVerdict = {
  text: string;
  kind: string;
  classes: StatementClass[];
  tables: string[];
  functions: string[];
  action: "allow" | "deny" | "review";
  rule: string | null;
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
  const statements = analysis.statements.map((s): StatementVerdict => {
    const c = classifyStatement(s);
    const d = evaluatePolicy(policy, who, c, s.text);
    return { text: s.text, kind: s.kind, classes: c.classes, tables: c.tables, functions: c.functions, action: d.action, rule: d.rule, reason: d.reason };
  });
  const judgement = new StatementGuard(() => policy, who, analyzer).judge(text);
  if (!judgement) return { parsed: true, statements, verdict: "allow", explanation: "runs: every statement is allowed" };
  if ("refusal" in judgement) return { parsed: true, statements, verdict: "deny", explanation: `refused with 42501: ${judgement.refusal.error.message}` };
  return { parsed: true, statements, verdict: "review", explanation: `held for approval: ${judgement.review.decision.reason} (the whole text waits)` };
}
