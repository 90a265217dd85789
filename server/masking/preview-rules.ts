import { columnRuleFor, compileColumnRule } from "../../core/masking/compile-rules";
import type { MaskingRules } from "../../core/masking/masking-rules";
import { previewMasking, type PreviewSample } from "../../core/masking/preview-masking";
import { AppError } from "../errors/app-error";
import { checkMaskingRules } from "./check-masking-rules";

export type PreviewRow = {
  column: string | null;
  value: string;
  masked: string;
  changed: boolean;
  /** Why the value comes out this way, in a sentence an admin can check against the form. */
  because: string;
};
export type RulesPreview = { rows: PreviewRow[]; exemptBy: string[] };

const sourceOf = (column: string) => {
  const parts = column.split(".");
  return parts.length < 2 ? null : { schema: parts.length === 3 ? parts[0] : null, table: parts.at(-2)!, column: parts.at(-1)! };
};

const SAMPLE_COLUMN = /^[^.\s]+(\.[^.\s]+){1,2}$/;

// The rule that would cover a column if nobody were exempt: to say which rule an exempt identity escapes.
const ruleIgnoringExemptions = (rules: MaskingRules, column: string) =>
  columnRuleFor({ detectors: [], detectorStyle: "redact", columns: rules.columns.map(compileColumnRule) }, sourceOf(column)!)?.rule;

function explain(rules: MaskingRules, groups: string[], column: string | null, rule: string | undefined, counts: Record<string, number>): string {
  if (rule) {
    const style = rules.columns.find((r) => r.column === rule && !r.exemptGroups?.some((g) => groups.includes(g)))?.style ?? "redact";
    return `column rule ${rule} masks the whole value (${style})`;
  }
  const found = Object.entries(counts).map(([id, n]) => (n > 1 ? `${id} ×${n}` : id));
  const escaped = column ? ruleIgnoringExemptions(rules, column) : undefined;
  const exemptNote = escaped ? `column rule ${escaped.column} does not apply (exempt: ${(escaped.exemptGroups ?? []).filter((g) => groups.includes(g)).join(", ")}); ` : "";
  if (found.length > 0) return `${exemptNote}detector${found.length > 1 ? "s" : ""} ${found.join(", ")} (${rules.detectors.style})`;
  return `${exemptNote}passes unchanged: ${column && !escaped ? "no column rule covers it and " : ""}no detector finds anything`;
}

/**
 * What the gateway would send for each sample under rules that may not be saved yet, for an
 * identity in `groups`: validated with the gateway's schema (issues under their form fields) and
 * masked by the gateway's own previewMasking, so the preview cannot drift from the data path.
 */
export function previewMaskingRules(input: unknown, samples: Array<{ column?: string | null; value: string }>, groups: string[]): RulesPreview {
  const check = checkMaskingRules(input);
  if (!check.ok) throw new AppError("INVALID_INPUT", check.message, check.fieldErrors);
  const rules = check.rules;
  const badColumns = Object.fromEntries(
    samples.flatMap((s, i) => (s.column?.trim() && !SAMPLE_COLUMN.test(s.column.trim()) ? [[`samples.${i}.column`, "write table.column or schema.table.column, or leave it empty"]] : [])),
  );
  if (Object.keys(badColumns).length > 0) throw new AppError("INVALID_INPUT", "a sample's column is not table.column or schema.table.column", badColumns);
  const exemptBy = rules.exemptGroups.filter((g) => groups.includes(g));
  const clean: PreviewSample[] = samples.map((s) => ({ value: s.value, column: s.column?.trim() || undefined }));
  const results = previewMasking(rules, clean, groups);
  const rows = results.map((r, i): PreviewRow => {
    const column = clean[i].column ?? null;
    const because = exemptBy.length > 0 ? `exempt: members of ${exemptBy.join(", ")} see results unmasked` : explain(rules, groups, column, r.rule, r.counts);
    return { column, value: r.value, masked: r.masked, changed: r.changed, because };
  });
  return { rows, exemptBy };
}
