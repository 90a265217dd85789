import { classifyCommand } from "../../core/policy/classify-command";
import { evaluatePolicy } from "../../core/policy/evaluate-policy";
import type { Policy } from "../../core/policy/policy";
import type { StatementVerdict, TryResult } from "./try-statement";

/**
 * What the SSH listener would do with each command line under `policy`: the same classifier and
 * engine as the data path (`ssh host cmd`, and each line typed in a shell). Each kind lists the
 * program with its words, as `kinds` rules match them.
 */
export function tryCommand(policy: Policy, who: { name: string; groups: string[] }, text: string): TryResult {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  const statements = lines.map((line): StatementVerdict => {
    const c = classifyCommand(line);
    const d = evaluatePolicy(policy, who, c);
    const index = d.rule === null ? -1 : policy.rules.findIndex((r) => r.name === d.rule);
    return {
      text: line,
      kind: [c.kind, ...c.runs].join(" · "),
      classes: [],
      tables: [],
      functions: [],
      locks: null,
      action: d.action,
      rule: d.rule,
      position: index < 0 ? null : index + 1,
      reason: d.reason,
    };
  });
  const denied = statements.find((s) => s.action === "deny");
  if (denied) return { parsed: true, statements, verdict: "deny", explanation: `the client gets "Gatehouse denied this command: ${denied.reason}" and exit status 1` };
  const held = statements.find((s) => s.action === "review");
  if (held) return { parsed: true, statements, verdict: "review", explanation: `${held.reason}; it waits for approval` };
  return { parsed: true, statements, verdict: "allow", explanation: "every command is allowed" };
}
