import type { z } from "zod";
import { maskingRulesSchema, type MaskingRules } from "../../core/masking/masking-rules";

export type MaskingRulesCheck = { ok: true; rules: MaskingRules } | { ok: false; message: string; fieldErrors: Record<string, string> };

/**
 * The form field an issue belongs under: `columns.<i>.<column|style|exemptGroups>`,
 * `detectors.custom.<i>.<id|pattern>`, `detectors.builtIn`, `detectors.style`, `exemptGroups`,
 * or `rules` for the document as a whole (an unknown key, not an object).
 */
export function maskingIssueField(path: readonly PropertyKey[]): string {
  const [top, a, b, c] = path;
  if (top === "columns" && typeof a === "number") return `columns.${a}.${typeof b === "string" ? b : "column"}`;
  if (top === "detectors") {
    if (a === "custom" && typeof b === "number") return `detectors.custom.${b}.${typeof c === "string" ? c : "id"}`;
    return `detectors.${typeof a === "string" ? a : "style"}`;
  }
  if (top === "exemptGroups") return "exemptGroups";
  return "rules";
}

const FIELD_NAMES: Record<string, string> = { column: "pattern", style: "style", exemptGroups: "exempt groups", id: "id", pattern: "pattern" };

// "column rule 2 pattern" reads better in a message than "columns.1.column".
function describeField(field: string): string {
  const column = /^columns\.(\d+)\.(\w+)$/.exec(field);
  if (column) return `column rule ${Number(column[1]) + 1} ${FIELD_NAMES[column[2]] ?? column[2]}`;
  const custom = /^detectors\.custom\.(\d+)\.(\w+)$/.exec(field);
  if (custom) return `custom detector ${Number(custom[1]) + 1} ${FIELD_NAMES[custom[2]] ?? custom[2]}`;
  return { "detectors.builtIn": "built-in detectors", "detectors.style": "detector style", "detectors.custom": "custom detectors", exemptGroups: "exempt groups" }[field] ?? field;
}

// zod's wording for an empty string ("Too small: expected string to have >=1 characters") says less than this.
const messageOf = (issue: z.core.$ZodIssue) => (issue.code === "too_small" && issue.origin === "string" && Number(issue.minimum) === 1 ? "required" : issue.message);

/**
 * Validates a rules document with the gateway's own schema and puts each issue under its form
 * field (the first issue of a field wins). Pure: the save and preview procedures and the tests use it.
 */
export function checkMaskingRules(input: unknown): MaskingRulesCheck {
  const parsed = maskingRulesSchema.safeParse(input);
  if (parsed.success) return { ok: true, rules: parsed.data };
  const fieldErrors: Record<string, string> = {};
  const lines: string[] = [];
  for (const issue of parsed.error.issues) {
    const field = maskingIssueField(issue.path);
    const message = messageOf(issue);
    fieldErrors[field] ??= message;
    lines.push(`${describeField(field)}: ${message}`);
  }
  return { ok: false, message: `the masking rules are not valid: ${lines.join("; ")}`, fieldErrors };
}
