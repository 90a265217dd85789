import type { MaskingRules } from "../../core/masking/masking-rules";

export const STYLES = ["redact", "partial", "token"] as const;
export type MaskStyle = (typeof STYLES)[number];
export const STYLE_LABELS: Record<MaskStyle, string> = {
  redact: "redact ([REDACTED])",
  partial: "partial (keep the last 4)",
  token: "token (same value, same token)",
};

/** The rules as the form edits them: group lists as comma-separated text. */
export type ColumnDraft = { column: string; style: MaskStyle; exemptGroups: string };
export type CustomDraft = { id: string; pattern: string };
/** `paths` (JSON path rules of HTTP bodies) are not edited by the form: kept as they are through a save. */
export type RulesDraft = { columns: ColumnDraft[]; builtIn: string[]; custom: CustomDraft[]; detectorStyle: MaskStyle; exemptGroups: string; paths?: MaskingRules["paths"] };

const list = (s: string) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
const text = (xs?: string[]) => (xs ?? []).join(", ");

export const emptyColumn = (): ColumnDraft => ({ column: "", style: "redact", exemptGroups: "" });
export const emptyCustom = (): CustomDraft => ({ id: "", pattern: "" });

/** A connection without rules starts with nothing ticked: saving masks only what the admin chose. */
export function toDraft(rules: MaskingRules | null, allBuiltIn: readonly string[]): RulesDraft {
  if (!rules) return { columns: [], builtIn: [], custom: [], detectorStyle: "redact", exemptGroups: "" };
  return {
    columns: rules.columns.map((c) => ({ column: c.column, style: c.style, exemptGroups: text(c.exemptGroups) })),
    builtIn: rules.detectors.builtIn ?? [...allBuiltIn],
    custom: rules.detectors.custom.map((c) => ({ ...c })),
    detectorStyle: rules.detectors.style,
    exemptGroups: text(rules.exemptGroups),
    ...(rules.paths?.length ? { paths: rules.paths } : {}),
  };
}

/**
 * The document the form describes. Rows are kept even when empty, so the server's issues
 * (`columns.2.column`) point at the row on screen. Every built-in ticked leaves `builtIn` out,
 * which the gateway reads as "all built-in detectors", those of later versions included.
 */
export function toRules(d: RulesDraft, allBuiltIn: readonly string[]): MaskingRules {
  const ticked = allBuiltIn.filter((id) => d.builtIn.includes(id));
  return {
    columns: d.columns.map((c) => {
      const exempt = list(c.exemptGroups);
      return { column: c.column.trim(), style: c.style, ...(exempt.length ? { exemptGroups: exempt } : {}) };
    }),
    detectors: {
      ...(ticked.length === allBuiltIn.length && allBuiltIn.length > 0 ? {} : { builtIn: ticked }),
      custom: d.custom.map((c) => ({ id: c.id.trim(), pattern: c.pattern })),
      style: d.detectorStyle,
    },
    exemptGroups: list(d.exemptGroups),
    ...(d.paths?.length ? { paths: d.paths } : {}),
  };
}

export type DraftErrors = { columns: Record<number, Record<string, string>>; custom: Record<number, Record<string, string>>; top: Record<string, string> };

/**
 * Splits the server's field errors (`columns.1.style`, `detectors.custom.0.pattern`,
 * `exemptGroups`) into per-row maps keyed by the draft's field names, so each message shows under
 * the control that caused it.
 */
export function errorsByField(fields: Record<string, string>): DraftErrors {
  const out: DraftErrors = { columns: {}, custom: {}, top: {} };
  for (const [key, message] of Object.entries(fields)) {
    const column = /^columns\.(\d+)\.(\w+)$/.exec(key);
    const custom = /^detectors\.custom\.(\d+)\.(\w+)$/.exec(key);
    if (column) out.columns[Number(column[1])] = { ...out.columns[Number(column[1])], [column[2]]: message };
    else if (custom) out.custom[Number(custom[1])] = { ...out.custom[Number(custom[1])], [custom[2]]: message };
    else out.top[key] = message;
  }
  return out;
}

export const noErrors = (): DraftErrors => ({ columns: {}, custom: {}, top: {} });

/** The CLI lines that set the same rules, for scripts and for people who prefer a terminal. */
export function cliLines(connection: string, rules: MaskingRules): string {
  const name = /^[\w.@-]+$/.test(connection) ? connection : `'${connection.replace(/'/g, `'\\''`)}'`;
  return `cat > masking.json <<'JSON'\n${JSON.stringify(rules, null, 2)}\nJSON\nnpx gatehouse masking apply ${name} -f masking.json`;
}
