import { columnRuleFor, referenceCovered, type CompiledColumnRule, type SessionMasking } from "../../../core/masking/compile-rules";
import type { MaskStyle } from "../../../core/masking/mask-text";
import { statementLineage, type ColumnRead, type QueryLineage } from "../../../core/sql/column-lineage";
import type { StatementAnalyzer } from "../../../core/sql/statement-analyzer";
import { callsOpaqueRoutine, routineCalls, type RoutineCalls } from "../../../core/sql/routine-calls";
import type { Ancestor, TargetCatalog, ViewBaseColumn } from "./column-catalog";
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
  /** Relations the text names (computed columns reading a view are traced through it). */
  relations: string[];
  /** Functions and operators it calls (a user-defined one can read any table in its body). */
  calls: RoutineCalls;
  /** It reads the system catalogs only (besides its own CTEs): a driver's introspection. */
  catalogOnly?: boolean;
};

const NO_CALLS: RoutineCalls = { functions: [], operators: [] };
const UNTRACEABLE = new Set(["ExecuteStmt", "FetchStmt", "CallStmt", "DoStmt"]);
const RUNS_CODE = new Set(["CallStmt", "DoStmt"]);
const cache = new WeakMap<object, StatementInfo>();

/** The info of statement `index` of a text (parse trees are cached by the analyzer, and so is this). */
export function statementInfo(analyzer: StatementAnalyzer, text: string, index: number): StatementInfo {
  const a = analyzer.analyze(text);
  if (!a.ok) return { tree: null, lineage: null, touchesRules: true, failClosed: true, runsCode: false, relations: [], calls: NO_CALLS };
  const s = a.statements[index];
  if (!s) return { tree: null, lineage: null, touchesRules: false, failClosed: false, runsCode: false, relations: [], calls: NO_CALLS };
  const known = cache.get(s.tree);
  if (known) return known;
  const lineage = statementLineage(s.tree);
  const { relations, ctes } = relationsOf(s.tree);
  const named = relations.filter((r) => !ctes.has(r));
  const catalogOnly = named.length > 0 && named.every((r) => SYSTEM_RELATION.test(r));
  const info: StatementInfo = { tree: s.tree, lineage, touchesRules: false, failClosed: UNTRACEABLE.has(s.node), runsCode: RUNS_CODE.has(s.node), relations, calls: routineCalls(s.tree), catalogOnly };
  info.touchesRules = info.failClosed || relations.length > 0;
  cache.set(s.tree, info);
  return info;
}

/** The system catalogs and information schema, by the names queries give them. */
const SYSTEM_RELATION = /^(?:pg_catalog\.\w+|information_schema\.\w+|pg_\w+)$/i;

/** Relations named anywhere in a tree (for `touchesRules`, matched against rules per session), and the names of its CTEs. */
function relationsOf(tree: unknown): { relations: string[]; ctes: Set<string> } {
  const relations: string[] = [];
  const ctes = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (typeof v !== "object" || v === null) return;
    const o = v as Record<string, unknown>;
    if (typeof o.relname === "string") relations.push(o.schemaname ? `${o.schemaname}.${o.relname}` : o.relname);
    if (typeof o.ctename === "string") ctes.add(o.ctename);
    for (const k in o) walk(o[k]);
  };
  walk(tree);
  return { relations: [...new Set(relations)], ctes };
}

/** A table column's rule: its own, or one of a table of its hierarchy (RelationInfo.ancestors: a parent's rows read through a partition, a partition's read through the parent). */
const ownOrInheritedRule = (m: SessionMasking, schema: string, table: string, column: string, ancestors: Ancestor[] = []): CompiledColumnRule | undefined => {
  for (const t of [{ schema, table }, ...ancestors]) {
    const hit = columnRuleFor(m, { schema: t.schema, table: t.table, column });
    if (hit) return hit;
  }
  return undefined;
};
const asRule = (r: CompiledColumnRule | undefined): FieldRule | undefined => (r ? { style: r.rule.style, name: r.rule.column } : undefined);
// "Keep the last 4" of an expression would keep 4 characters of anything (`substring(card, 9, 4)`,
// `reverse(card)`): a computed value is redacted instead (a token reveals nothing, it stays).
const asWholeRule = (r: CompiledColumnRule | undefined): FieldRule | undefined => (r ? { style: r.rule.style === "partial" ? "redact" : r.rule.style, name: r.rule.column } : undefined);
const failClosed: FieldRule = { style: "redact", name: "unresolved" };
// pg_statistic keeps samples of every analyzed column's values (pg_stats' most_common_vals and
// histogram_bounds, pg_stats_ext's most common values): masked whenever the session has column rules.
const STATISTICS_TABLE = /^pg_statistic(_ext_data)?$/;
const STATISTICS_VALUES = /^(stavalues\d|stxdmcv|stxdexpr|\*)$/;
const sampledValues = (table: string | null, column: string) => table !== null && STATISTICS_TABLE.test(table.split(".").at(-1)!) && STATISTICS_VALUES.test(column);
const readsSamples = (reads: ColumnRead[] | undefined) => !!reads?.some((r) => sampledValues(r.table, r.column));
const statistics: FieldRule = { style: "redact", name: "statistics" };
/**
 * A column the text reads without naming its relation may be any covered column of that name (the
 * lineage leaves its table unknown; a table may also inherit a covered table's columns). In a
 * statement over the system catalogs only (a driver's type introspection) it is one of theirs: looked
 * up there, it does not meet a rule on `customers.name`.
 */
const inRelations = (reads: ColumnRead[], info: StatementInfo): ColumnRead[] =>
  info.catalogOnly ? reads.flatMap((r) => (r.table !== null ? [r] : info.relations.map((table) => ({ table, column: r.column })))) : reads;
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
      // A system column (tableoid, ctid, xmin, xmax, cmin, cmax: a negative number) holds what the server sets, never a stored
      // value: pg_dump reads every catalog's tableoid, and masking it as unresolved made every dump fail.
      if (f.attnum < 0) return undefined;
      const rel = catalog.relation(f.tableOid);
      const column = rel?.columns.get(f.attnum);
      if (!rel || !column) return failClosed;
      if (sampledValues(rel.name, column) || readsSamples(rel.viewReads?.[f.attnum - 1])) return statistics;
      const direct = ownOrInheritedRule(m, rel.schema, rel.name, column, rel.ancestors);
      if (direct || !rel.viewBase) return asRule(direct);
      // A view that calls a function masking cannot see into (`create view v as select my_fn() as n`): its columns are masked.
      if (rel.viewOpaque) return failClosed;
      return asWholeRule(viewColumnRule(m, rel.viewReads?.[f.attnum - 1], rel.viewBase));
    }
    if (info.failClosed || !info.tree) return failClosed;
    if (!info.lineage) return undefined; // returns no traceable rows (SHOW, utility output)
    if (callsOpaqueRoutine(info.calls, catalog.builtinRoutines())) return failClosed;
    const reads = outputReads(info.lineage, fields.length, i);
    const hit = firstCovered(m, inRelations(reads, info)) ?? throughViews(m, reads, info.relations, catalog);
    return hit === "unknown" ? failClosed : asWholeRule(hit);
  });
}

/** Relation names whose views the catalog must know before a result's computed columns can be judged. */
export function viewNamesToLoad(m: SessionMasking, fields: Field[], info: StatementInfo, catalog: TargetCatalog): string[] {
  if (m.columns.length === 0 || !info.lineage || !fields.some((f) => f.tableOid === 0)) return [];
  return info.relations.filter((n) => catalog.viewsNamed(n) === undefined);
}

/**
 * A computed column that reads a view's column (`upper(v.quiet)`) reads what that view column
 * reads: traced through each view the name may denote, down to tables. An unqualified column is
 * looked up in every view the statement names. A view the catalog could not read: "unknown".
 */
export function throughViews(m: SessionMasking, reads: ColumnRead[], relations: string[], catalog: Pick<TargetCatalog, "viewsNamed">): CompiledColumnRule | "unknown" | undefined {
  for (const r of reads) {
    for (const name of r.table ? [r.table] : relations) {
      const views = catalog.viewsNamed(name);
      if (views === null || views === undefined) return "unknown";
      for (const v of views) {
        if (v.viewOpaque) return "unknown";
        const col = r.column.toLowerCase();
        const attnums = [...v.columns].filter(([, c]) => col === "*" || c.toLowerCase() === col).map(([n]) => n);
        for (const n of attnums) {
          if (readsSamples(v.viewReads?.[n - 1])) return "unknown";
          const hit = viewColumnRule(m, v.viewReads?.[n - 1], v.viewBase ?? []);
          if (hit) return hit;
        }
      }
    }
  }
  return undefined;
}

/**
 * A view column: by what its definition reads when that names only tables; when it reads another
 * view (or its definition could not be traced), by every table column the view depends on at any
 * depth, so a view over a view cannot launder a masked column. Either way also by the same column of
 * the tables in those tables' hierarchies (a view over a parent reads its partitions' rows).
 */
function viewColumnRule(m: SessionMasking, reads: ColumnRead[] | undefined, base: ViewBaseColumn[]): CompiledColumnRule | undefined {
  const tables = new Map(base.map((b) => [b.table.split(".").at(-1)!, b.kind]));
  const precise = reads && reads.every((r) => r.table === null || ["r", "p", "f"].includes(tables.get(r.table.split(".").at(-1)!) ?? ""));
  const columns: ColumnRead[] = precise ? reads! : base.filter((b) => b.kind !== "v");
  return firstCovered(m, columns) ?? firstCovered(m, inFamilies(columns, base));
}

/** The same columns of the tables of each read table's hierarchy (any base table's, for a read whose table is unknown). */
export function inFamilies(reads: ColumnRead[], base: ViewBaseColumn[]): ColumnRead[] {
  // Each base table's hierarchy once (base has a row per column).
  const families = new Map<string, Ancestor[]>();
  for (const b of base) if (b.family) families.set(b.table, b.family);
  const out: ColumnRead[] = [];
  for (const r of reads) {
    const name = r.table?.split(".").at(-1);
    for (const [table, family] of families) {
      if (name !== undefined && table.split(".").at(-1) !== name) continue;
      for (const a of family) out.push({ table: `${a.schema}.${a.table}`, column: r.column });
    }
  }
  return out;
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

type CopyStmt = {
  relation?: { schemaname?: string; relname?: string };
  attlist?: Array<{ String?: { sval?: string } }>;
  query?: unknown;
  options?: Array<{ DefElem?: { defname?: string; arg?: { String?: { sval?: string }; Boolean?: { boolval?: boolean } } } }>;
};

/** How to mask a COPY TO STDOUT, or "load" when the copied table's columns must be read from the catalog first. */
export function copyPlanOf(
  m: SessionMasking,
  info: StatementInfo | undefined,
  known: (relation: string) => { schema: string; table: string; columns: string[]; ancestors?: Ancestor[] } | null | undefined,
  catalog: TargetCatalog,
): CopyPlan | "load" {
  const copy = info?.tree?.CopyStmt as CopyStmt | undefined;
  const opt = (name: string) => copy?.options?.find((o) => o.DefElem?.defname === name)?.DefElem;
  const csv = opt("format")?.arg?.String?.sval === "csv";
  const base = {
    csv,
    delimiter: opt("delimiter")?.arg?.String?.sval ?? (csv ? "," : "\t"),
    quote: opt("quote")?.arg?.String?.sval ?? '"',
    header: csv && !!opt("header") && opt("header")?.arg?.Boolean?.boolval !== false,
  };
  if (m.columns.length === 0) return { ...base, columns: [] };
  if (!copy) return { ...base, columns: "all" };
  if (copy.relation) {
    const name = copy.relation.schemaname ? `${copy.relation.schemaname}.${copy.relation.relname}` : String(copy.relation.relname);
    const rel = known(name);
    if (rel === undefined) return "load";
    if (rel === null) return { ...base, columns: "all" };
    const cols = copy.attlist?.length ? copy.attlist.map((a) => a.String?.sval ?? "") : rel.columns;
    return { ...base, columns: cols.map((column) => asRuleCopy(ownOrInheritedRule(m, rel.schema, rel.table, column, rel.ancestors))) };
  }
  const l = info?.lineage;
  if (!l || callsOpaqueRoutine(info.calls, catalog.builtinRoutines())) return { ...base, columns: "all" };
  const covered = (reads: ColumnRead[]) => {
    const hit = firstCovered(m, inRelations(reads, info!)) ?? throughViews(m, reads, info!.relations, catalog);
    return hit === "unknown" ? ({ style: "redact", rule: "unresolved" } as const) : asRuleCopy(hit);
  };
  if (l.outputs.some((o) => o.star)) return { ...base, columns: covered(l.reads) ? "all" : [] };
  return { ...base, columns: l.outputs.map((o) => covered(o.reads)) };
}

const asRuleCopy = (r: CompiledColumnRule | undefined) => (r ? { style: r.rule.style, rule: r.rule.column } : undefined);
