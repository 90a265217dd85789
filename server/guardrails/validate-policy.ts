import { policySchema, type Policy } from "../../core/policy/policy";

export type PolicyCheck = { ok: true; policy: Policy } | { ok: false; message: string; fieldErrors: Record<string, string> };

/**
 * The field a form shows an issue under: `rules.<i>.<field>` (the match condition, or else the last
 * named segment: an issue on `rules.2.match.classes.0` lands under rule 3's classes, one on
 * `rules.2.match.arguments./path`, a JSON pointer, under its arguments), or `defaultAction`.
 */
export function issueField(path: readonly PropertyKey[]): string {
  const [top, index, ...rest] = path;
  if (top !== "rules" || typeof index !== "number") return String(top ?? "policy");
  const condition = rest[0] === "match" && typeof rest[1] === "string" ? rest[1] : undefined;
  const named = rest.filter((p): p is string => typeof p === "string");
  return `rules.${index}.${condition ?? named.at(-1) ?? "name"}`;
}

/** What is wrong, for a person: a bad key of a condition's JSON (zod's "Invalid key in record") says which key and what it should be. */
function issueMessage(issue: { code: string; message: string; path: readonly PropertyKey[]; issues?: ReadonlyArray<{ message: string }> }): string {
  const inner = issue.code === "invalid_key" ? issue.issues?.[0]?.message : undefined;
  return inner ? `${JSON.stringify(String(issue.path.at(-1)))} is not ${inner}` : issue.message;
}

// "rule 2 regex" reads better in a message than "rules.1.match.regex".
const describeField = (field: string) => field.replace(/^rules\.(\d+)\./, (_, i: string) => `rule ${Number(i) + 1} `);

/**
 * Validates a policy with the gateway's own schema (which also refuses two rules with one name) and
 * puts each issue under its form field. Pure: used by the save and try procedures and by tests.
 */
export function validatePolicy(input: unknown): PolicyCheck {
  const parsed = policySchema.safeParse(input);
  const fieldErrors: Record<string, string> = {};
  const lines: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issueField(issue.path);
      const message = issueMessage(issue);
      fieldErrors[field] ??= message;
      lines.push(`${describeField(field)}: ${message}`);
    }
  }
  if (lines.length === 0 && parsed.success) return { ok: true, policy: parsed.data };
  return { ok: false, message: `the policy is not valid: ${lines.join("; ")}`, fieldErrors };
}
