import { policySchema, type Policy } from "../../gateway/policy/policy";

export type PolicyCheck = { ok: true; policy: Policy } | { ok: false; message: string; fieldErrors: Record<string, string> };

/**
 * The field a form shows an issue under: `rules.<i>.<field>` (the last named segment, so an issue
 * on `rules.2.match.classes.0` lands under rule 3's classes), or `defaultAction`.
 */
export function issueField(path: readonly PropertyKey[]): string {
  const [top, index, ...rest] = path;
  if (top !== "rules" || typeof index !== "number") return String(top ?? "policy");
  const named = rest.filter((p): p is string => typeof p === "string");
  return `rules.${index}.${named.at(-1) ?? "name"}`;
}

// "rule 2 regex" reads better in a message than "rules.1.match.regex".
const describeField = (field: string) => field.replace(/^rules\.(\d+)\./, (_, i: string) => `rule ${Number(i) + 1} `);

/**
 * Validates a policy with the gateway's own schema, plus one console rule: rule names are unique.
 * (The gateway looks a review rule's approvers and timeout up by the deciding rule's name, and the
 * audit trail names it, so two rules with one name would be ambiguous.) Pure: used by the save and
 * try procedures and by tests.
 */
export function validatePolicy(input: unknown): PolicyCheck {
  const parsed = policySchema.safeParse(input);
  const fieldErrors: Record<string, string> = {};
  const lines: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issueField(issue.path);
      fieldErrors[field] ??= issue.message;
      lines.push(`${describeField(field)}: ${issue.message}`);
    }
  } else {
    const seen = new Map<string, number>();
    parsed.data.rules.forEach((r, i) => {
      const first = seen.get(r.name);
      if (first === undefined) return void seen.set(r.name, i);
      const message = `rule ${first + 1} already has this name; names must be unique (the audit and reviews name the deciding rule)`;
      fieldErrors[`rules.${i}.name`] = message;
      lines.push(`rule ${i + 1} name: ${message}`);
    });
  }
  if (lines.length === 0 && parsed.success) return { ok: true, policy: parsed.data };
  return { ok: false, message: `the policy is not valid: ${lines.join("; ")}`, fieldErrors };
}
