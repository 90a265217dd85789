import { referenceCovered, type SessionMasking } from "./compile-rules";
import { relationName } from "../sql/relation-name";
import { looksMasked } from "./masked-shape";

type Node = Record<string, unknown>;
const isObj = (v: unknown): v is Node => typeof v === "object" && v !== null;

/** A value a write stores into a masked column: the string literals and bound parameters ($n) of its expression. */
export type MaskedWrite = { column: string; literals: string[]; params: number[] };

/**
 * What an INSERT, UPDATE or MERGE (also inside a CTE, and ON CONFLICT DO UPDATE) writes into columns a
 * rule masks, from the parse tree. An INSERT without a column list may write any column: then
 * every value counts. A value that reads a column (`set card = v.card`) may carry any literal of
 * the statement's sources (its FROM items, WITH queries, MERGE's USING): a bulk update from a VALUES
 * list is how a batch of edited rows is written back. Pure, protocol-agnostic SQL (libpg-query trees).
 */
export function writesIntoMaskedColumns(tree: Node, m: SessionMasking): MaskedWrite[] {
  if (m.columns.length === 0) return [];
  const out: MaskedWrite[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!isObj(v)) return;
    if (isObj(v.InsertStmt)) insert(v.InsertStmt, m, out);
    if (isObj(v.UpdateStmt)) {
      const u = v.UpdateStmt;
      assignments(relationName(u.relation), u.targetList, m, out, [u.fromClause, u.withClause]);
    }
    if (isObj(v.MergeStmt)) merge(v.MergeStmt, m, out);
    for (const k in v) walk(v[k]);
  };
  walk(tree);
  return out;
}

/**
 * The first column a rule masks that a `COPY ... FROM` loads (every column of the table without a
 * column list); null when none. Its rows come as COPY data, which the gateway does not read for masked
 * values, so such a load cannot be checked the way an INSERT is.
 */
export function copiesIntoMaskedColumn(tree: Node, m: SessionMasking): string | null {
  const copy = tree.CopyStmt as Node | undefined;
  if (m.columns.length === 0 || !copy?.is_from || !copy.relation) return null;
  const table = relationName(copy.relation);
  const cols = ((copy.attlist as Node[] | undefined) ?? []).map((c) => String((c.String as Node | undefined)?.sval ?? ""));
  for (const column of cols.length ? cols : ["*"]) if (referenceCovered(m, table, column)) return `${table}.${column}`;
  return null;
}

/** The first literal among these writes that looks like something masking produced. */
export function maskedLiteral(writes: MaskedWrite[]): { column: string; value: string } | undefined {
  for (const w of writes) for (const l of w.literals) if (looksMasked(l)) return { column: w.column, value: l };
  return undefined;
}

function insert(stmt: Node, m: SessionMasking, out: MaskedWrite[]): void {
  const table = relationName(stmt.relation);
  const select = (stmt.selectStmt as Node | undefined)?.SelectStmt as Node | undefined;
  insertedRows(
    table,
    (stmt.cols as Node[] | undefined)?.map((c) => String((c.ResTarget as Node).name)),
    select,
    m,
    out,
    [stmt.withClause, select?.fromClause, select?.withClause],
  );
  const conflict = stmt.onConflictClause as Node | undefined;
  if (conflict?.targetList) assignments(table, conflict.targetList, m, out);
}

/** MERGE: its WHEN clauses' UPDATE SET and INSERT VALUES, whose column references read the USING source. */
function merge(stmt: Node, m: SessionMasking, out: MaskedWrite[]): void {
  const table = relationName(stmt.relation);
  const sources = [stmt.sourceRelation, stmt.withClause];
  for (const w of (stmt.mergeWhenClauses as Node[] | undefined) ?? []) {
    const when = w.MergeWhenClause as Node;
    if (when.commandType === "CMD_UPDATE") assignments(table, when.targetList, m, out, sources);
    if (when.commandType === "CMD_INSERT") {
      const cols = (when.targetList as Node[] | undefined)?.map((t) => String((t.ResTarget as Node).name));
      insertedRows(table, cols?.length ? cols : undefined, { valuesLists: [{ List: { items: when.values ?? [] } }] }, m, out, sources);
    }
  }
}

/** The rows an INSERT (or MERGE's INSERT) writes, column by column. */
function insertedRows(table: string, cols: string[] | undefined, select: Node | undefined, m: SessionMasking, out: MaskedWrite[], sources: unknown[]): void {
  const rows: unknown[][] = select?.valuesLists
    ? (select.valuesLists as Node[]).map((r) => ((r.List as Node).items as unknown[]) ?? [])
    : select?.targetList
      ? [(select.targetList as Node[]).map((t) => (t.ResTarget as Node).val)]
      : [];
  // Set operations, `select *` and the like: any value may land in any column.
  const spread = select && !select.valuesLists && (!select.targetList || hasStar(select.targetList));
  if (spread && referenceCovered(m, table, "*")) return void out.push({ column: `${table}.*`, ...valuesOf([select, sources]) });
  for (const row of rows) {
    row.forEach((expr, i) => {
      const column = cols?.[i] ?? "*";
      if (referenceCovered(m, table, column)) out.push({ column: `${table}.${column}`, ...valuesReading(expr, sources) });
    });
  }
}

function assignments(table: string, targets: unknown, m: SessionMasking, out: MaskedWrite[], sources: unknown[] = []): void {
  for (const t of (targets as Node[] | undefined) ?? []) {
    const rt = t.ResTarget as Node;
    const column = String(rt.name);
    if (referenceCovered(m, table, column)) out.push({ column: `${table}.${column}`, ...valuesReading(rt.val, sources) });
  }
}

/** An expression's own literals and parameters, and when it reads a column or a subquery, those of the statement's sources too. */
function valuesReading(expr: unknown, sources: unknown[]): { literals: string[]; params: number[] } {
  const own = valuesOf(expr);
  if (!reads(expr)) return own;
  const from = valuesOf(sources);
  return { literals: [...own.literals, ...from.literals], params: [...own.params, ...from.params] };
}

/** Whether a SELECT's target list has a `*` (its columns cannot be told from the text). */
const hasStar = (targets: unknown): boolean => (targets as Node[]).some((t) => ((((t.ResTarget as Node)?.val as Node)?.ColumnRef as Node)?.fields as Node[] | undefined)?.some((f) => isObj(f.A_Star)));

/** Whether an expression reads a column (`v.card`, `excluded.card` is the row being inserted, judged already) or a subquery. */
function reads(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(reads);
  if (!isObj(v)) return false;
  if (isObj(v.SubLink)) return true;
  const ref = v.ColumnRef as Node | undefined;
  if (ref) return (((ref.fields as Node[] | undefined)?.[0]?.String as Node | undefined)?.sval as string | undefined) !== "excluded";
  for (const k in v) if (reads(v[k])) return true;
  return false;
}

function valuesOf(expr: unknown): { literals: string[]; params: number[] } {
  const literals: string[] = [];
  const params: number[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!isObj(v)) return;
    const sval = ((v.A_Const as Node | undefined)?.sval as Node | undefined)?.sval;
    if (typeof sval === "string") literals.push(sval);
    const param = (v.ParamRef as Node | undefined)?.number;
    if (typeof param === "number") params.push(param);
    for (const k in v) walk(v[k]);
  };
  walk(expr);
  return { literals, params };
}

/** What a statement writes into tables no rule names: which, and the statement's every literal and parameter (any may land there). */
export type UncoveredWrite = { tables: string[]; literals: string[]; params: number[] };

/** The statement's UncoveredWrite; null when it writes only into covered tables, or into none. */
export function uncoveredWrites(tree: Node, m: SessionMasking): UncoveredWrite | null {
  const tables = writtenRelations(tree).filter((r) => referenceCovered(m, r, "*") === undefined);
  return tables.length ? { tables, ...valuesOf(tree) } : null;
}

/** The relations an INSERT, UPDATE or MERGE writes into (also inside a CTE), as the text names them. */
function writtenRelations(tree: Node): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!isObj(v)) return;
    for (const kind of ["InsertStmt", "UpdateStmt", "MergeStmt"]) {
      const stmt = v[kind];
      if (isObj(stmt) && stmt.relation) out.push(relationName(stmt.relation));
    }
    for (const k in v) walk(v[k]);
  };
  walk(tree);
  return out;
}

/** The relations a statement reads rows from (its FROM items, JOINs, MERGE's USING, subqueries), by their bare lower-case names. */
export function readRelations(tree: Node): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!isObj(v)) return;
    if (isObj(v.RangeVar)) out.push(String(v.RangeVar.relname ?? "").toLowerCase());
    for (const k in v) walk(v[k]);
  };
  walk(tree);
  return out;
}
