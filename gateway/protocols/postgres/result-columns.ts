import { columnRuleFor, referenceCovered, type CompiledColumnRule, type SessionMasking } from "../../masking/compile-rules";
import type { MaskStyle } from "../../masking/mask-text";
import { statementLineage, type ColumnRead, type QueryLineage } from "../../sql/column-lineage";
import type { StatementAnalyzer } from "../../sql/statement-analyzer";
import type { TargetCatalog } from "./column-catalog";
import type { CopyPlan } from "./copy-out";
import type { Field } from "./data-row";

export type FieldRule = { style: MaskStyle; name: string };
/** What masking needs of the statement a result answers. */
export type StatementInfo = {
  tree: Record<string, unknown> | null;
  lineage: QueryLineage | null;
  /** It names a relation some column rule covers (or it could not be read): quoted values in its errors are redacted. */
  touchesRules: boolean;
  /** Its computed columns cannot be traced (EXECUTE, FETCH, CALL, unparseable): they are masked if any column rule exists. */
  failClosed: boolean;
  /** It runs server-side code (DO, CALL) whose notices and errors can say anything: their text is withheld under column rules. */
  runsCode: boolean;
};

const UNTRACEABLE = new Set(["ExecuteStmt", "FetchStmt", "CallStmt", "DoStmt"]);
const RUNS_CODE = new Set(["CallStmt", "DoStmt"]);
const cache = new WeakMap<object, StatementInfo>();

/** The info of statement `index` of a text (parse trees are cached by the analyzer, and so is this). */
export function statementInfo(analyzer: StatementAnalyzer, text: string, index: number): StatementInfo {
  const a = analyzer.analyze(text);
  if (!a.ok) return { tree: null, lineage: null, touchesRules: true, failClosed: true, runsCode: false };
  const s = a.statements[index];
  if (!s) return { tree: null, lineage: null, touchesRules: false, failClosed: false, runsCode: false };
  const known = cache.get(s.tree);
  if (known) return known;
  const lineage = statementLineage(s.tree);
  const info: StatementInfo = { tree: s.tree, lineage, touchesRules: false, failClosed: UNTRACEABLE.has(s.node), runsCode: RUNS_CODE.has(s.node) };
  info.touchesRules = info.failClosed || relationsOf(s.tree).length > 0;
  cache.set(s.tree, info);
  return info;
}

/** Relations named anywhere in a tree (for `touchesRules`, matched against rules per session). */
function relationsOf(tree: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (typeof v !== "object" || v === null) return;
    const o = v as Record<string, unknown>;
    if (typeof o.relname === "string") out.push(o.schemaname ? `${o.schemaname}.${o.relname}` : o.relname);
    for (const k in o) walk(o[k]);
  };
  walk(tree);
  return out;
}

const asRule = (r: CompiledColumnRule | undefined): FieldRule | undefined => (r ? { style: r.rule.style, name: r.rule.column } : undefined);
// "Keep the last 4" of an expression would keep 4 characters of anything (`substring(card, 9, 4)`,
// `reverse(card)`): a computed value is redacted instead (a token reveals nothing, it stays).
const asWholeRule = (r: CompiledColumnRule | undefined): FieldRule | undefined => (r ? { style: r.rule.style === "partial" ? "redact" : r.rule.style, name: r.rule.column } : undefined);
const failClosed: FieldRule = { style: "redact", name: "unresolved" };
const firstCovered = (m: SessionMasking, reads: ColumnRead[]) => {
  for (const r of reads) {
    const hit = referenceCovered(m, r.table, r.column);
    if (hit) return hit;
  }
  return undefined;
};

/**
 * The column rule each result field falls under. A field the server traces to a table column is
 * looked up by OID (an alias or a view cannot hide it; a view's column by what its definition
 * reads); a computed field by what its expression reads in the parsed query. A field whose source
 * cannot be resolved is masked whenever the session has column rules (fail closed).
 */
export function columnsToMask(m: SessionMasking, fields: Field[], info: StatementInfo, catalog: TargetCatalog): Array<FieldRule | undefined> {
  if (m.columns.length === 0) return fields.map(() => undefined);
  return fields.map((f, i) => {
    if (f.tableOid !== 0) {
      const rel = catalog.relation(f.tableOid);
      const column = rel?.columns.get(f.attnum);
      if (!rel || !column) return failClosed;
      const direct = columnRuleFor(m, { schema: rel.schema, table: rel.name, column });
      if (direct || !rel.viewReads) return asRule(direct);
      return asWholeRule(firstCovered(m, rel.viewReads[f.attnum - 1] ?? [{ table: null, column: "*" }]));
    }
    if (info.failClosed || !info.tree) return failClosed;
    if (!info.lineage) return undefined; // returns no traceable rows (SHOW, utility output)
    return asWholeRule(firstCovered(m, outputReads(info.lineage, fields.length, i)));
  });
}

/** What result column i of n reads: by position, around `*` entries whose width the text does not say. */
function outputReads(l: QueryLineage, n: number, i: number): ColumnRead[] {
  const stars = l.outputs.map((o, k) => (o.star ? k : -1)).filter((k) => k >= 0);
  if (stars.length === 0) return l.outputs.length === n ? l.outputs[i].reads : l.reads;
  if (i < stars[0]) return l.outputs[i].reads;
  const after = l.outputs.length - stars.at(-1)! - 1;
  if (i >= n - after) return l.outputs[l.outputs.length - (n - i)].reads;
  return l.reads; // inside a `*` expansion of something computed: whatever the statement reads
}

type CopyStmt = { relation?: { schemaname?: string; relname?: string }; attlist?: Array<{ String?: { sval?: string } }>; query?: unknown; options?: Array<{ DefElem?: { defname?: string; arg?: { String?: { sval?: string }; Boolean?: { boolval?: boolean } } } }> };

/** How to mask a COPY TO STDOUT, or "load" when the copied table's columns must be read from the catalog first. */
export function copyPlanOf(m: SessionMasking, info: StatementInfo | undefined, known: (relation: string) => { schema: string; table: string; columns: string[] } | null | undefined): CopyPlan | "load" {
  const copy = info?.tree?.CopyStmt as CopyStmt | undefined;
  const opt = (name: string) => copy?.options?.find((o) => o.DefElem?.defname === name)?.DefElem;
  const csv = opt("format")?.arg?.String?.sval === "csv";
  const base = { csv, delimiter: opt("delimiter")?.arg?.String?.sval ?? (csv ? "," : "\t"), quote: opt("quote")?.arg?.String?.sval ?? '"', header: csv && !!opt("header") && opt("header")?.arg?.Boolean?.boolval !== false };
  if (m.columns.length === 0) return { ...base, columns: [] };
  if (!copy) return { ...base, columns: "all" };
  if (copy.relation) {
    const name = copy.relation.schemaname ? `${copy.relation.schemaname}.${copy.relation.relname}` : String(copy.relation.relname);
    const rel = known(name);
    if (rel === undefined) return "load";
    if (rel === null) return { ...base, columns: "all" };
    const cols = copy.attlist?.length ? copy.attlist.map((a) => a.String?.sval ?? "") : rel.columns;
    return { ...base, columns: cols.map((column) => asRuleCopy(columnRuleFor(m, { schema: rel.schema, table: rel.table, column }))) };
  }
  const l = info?.lineage;
  if (!l) return { ...base, columns: "all" };
  if (l.outputs.some((o) => o.star)) return { ...base, columns: firstCovered(m, l.reads) ? "all" : [] };
  return { ...base, columns: l.outputs.map((o) => asRuleCopy(firstCovered(m, o.reads))) };
}

const asRuleCopy = (r: CompiledColumnRule | undefined) => (r ? { style: r.rule.style, rule: r.rule.column } : undefined);
