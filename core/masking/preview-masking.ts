import { columnRuleFor, compileForGroups } from "./compile-rules";
import type { MaskCounts } from "./mask-text";
import type { MaskingRules } from "./masking-rules";
import { ValueMasker } from "./value-masker";

export type PreviewSample = {
  /** `table.column` or `schema.table.column` the value comes from (optional: detectors apply anyway). */
  column?: string;
  value: string;
};
export type PreviewResult = { value: string; masked: string; changed: boolean; rule?: string; counts: MaskCounts };

// Tokens in a preview only show their shape: a fixed key, unrelated to any connection's.
const PREVIEW_KEY = Buffer.alloc(32, 0x5a);

/**
 * What the gateway would send for each sample value under these rules, for an identity in
 * `groups` (pure: the console's preview next to the rules form).
 */
export function previewMasking(rules: MaskingRules, samples: PreviewSample[], groups: string[] = []): PreviewResult[] {
  const masking = compileForGroups(rules, groups);
  return samples.map(({ column, value }) => {
    if (!masking) return { value, masked: value, changed: false, counts: {} };
    const masker = new ValueMasker(masking, PREVIEW_KEY);
    const parts = column?.split(".") ?? [];
    const source = parts.length >= 2 ? { schema: parts.length === 3 ? parts[0] : null, table: parts.at(-2)!, column: parts.at(-1)! } : null;
    const covered = source ? columnRuleFor(masking, source) : undefined;
    const masked = covered ? masker.whole(value, covered.rule.style, covered.rule.column) : (masker.scanText(value) ?? value);
    return { value, masked, changed: masked !== value, rule: covered?.rule.column, counts: masker.takeCounts() ?? {} };
  });
}
