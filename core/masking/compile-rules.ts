import { wildcardPattern, type WildcardPattern } from "../policy/wildcard";
import { BUILT_IN_DETECTORS, customDetector, type Detector } from "./detectors";
import type { MaskStyle } from "./mask-text";
import type { ColumnRule, MaskingRules } from "./masking-rules";
import { compilePathRule, type CompiledPathRule } from "./json-masker";

/** A source column as the catalog names it (lower case unless quoted that way). */
export type SourceColumn = { schema: string | null; table: string; column: string };

/** What one session must mask: its detectors, and its column rules (exemptions already applied). */
export type SessionMasking = {
  detectors: Detector[];
  detectorStyle: MaskStyle;
  columns: CompiledColumnRule[];
  /** Rules on JSON paths (HTTP bodies); absent or empty: none. */
  paths?: CompiledPathRule[];
};

export type CompiledColumnRule = { rule: ColumnRule; schema: WildcardPattern | null; table: WildcardPattern; column: WildcardPattern };

/**
 * Compiles a rules document for one identity's groups: null when nothing is to be masked for it
 * (exempt, or no rules), so that the data path of an unmasked session costs nothing.
 */
export function compileForGroups(rules: MaskingRules, groups: string[]): SessionMasking | null {
  const inGroup = (list: string[] | undefined) => !!list?.some((g) => groups.includes(g));
  if (inGroup(rules.exemptGroups)) return null;
  const builtIn = rules.detectors.builtIn ? BUILT_IN_DETECTORS.filter((d) => rules.detectors.builtIn!.includes(d.id)) : BUILT_IN_DETECTORS;
  const detectors = [...builtIn, ...rules.detectors.custom.map((c) => customDetector(c.id, c.pattern))];
  const columns = rules.columns.filter((r) => !inGroup(r.exemptGroups)).map(compileColumnRule);
  const paths = (rules.paths ?? []).filter((r) => !inGroup(r.exemptGroups)).map((r) => compilePathRule(r.path, r.path, r.style));
  if (detectors.length === 0 && columns.length === 0 && paths.length === 0) return null;
  return { detectors, detectorStyle: rules.detectors.style, columns, ...(paths.length ? { paths } : {}) };
}

export function compileColumnRule(rule: ColumnRule): CompiledColumnRule {
  const parts = rule.column.split(".");
  const [schema, table, column] = parts.length === 3 ? parts : [null, ...parts];
  return { rule, schema: schema === null ? null : wildcardPattern(schema), table: wildcardPattern(table!), column: wildcardPattern(column!) };
}

/** The rule covering a source column, if any (the first that matches). */
export function columnRuleFor(m: SessionMasking, c: SourceColumn): CompiledColumnRule | undefined {
  const table = c.table.toLowerCase();
  const column = c.column.toLowerCase();
  const schema = c.schema?.toLowerCase() ?? null;
  return m.columns.find((r) => r.column.test(column) && r.table.test(table) && (r.schema === null || schema === null || r.schema.test(schema)));
}

/**
 * Whether a column reference read from SQL text may be covered: by name only, so an unknown
 * table (null) matches any rule on that column name and a `*` (whole-row) column matches any rule
 * on that table. Over-matching masks too much, never too little.
 */
export function referenceCovered(m: SessionMasking, table: string | null, column: string | "*"): CompiledColumnRule | undefined {
  const parts = table?.toLowerCase().split(".") ?? [];
  const rel = parts.at(-1) ?? null;
  const schema = parts.length > 1 ? parts.at(-2)! : null;
  const col = column.toLowerCase();
  return m.columns.find((r) => (col === "*" || r.column.test(col)) && (rel === null || r.table.test(rel)) && (r.schema === null || schema === null || r.schema.test(schema)));
}
