import { referenceCovered, type SessionMasking } from "./compile-rules";
import { looksMasked } from "./masked-shape";

type Node = Record<string, unknown>;
const isObj = (v: unknown): v is Node => typeof v === "object" && v !== null;

/** A value a write stores into a masked column: the string literals and bound parameters ($n) of its expression. */
export type MaskedWrite = { column: string; literals: string[]; params: number[] };

/**
 * What an INSERT or UPDATE (also inside a CTE, and ON CONFLICT DO UPDATE) writes into columns a
 * rule masks, from the parse tree. An INSERT without a column list may write any column: then
 * every value counts. Pure, protocol-agnostic SQL (libpg-query trees).
 */
export function writesIntoMaskedColumns(tree: Node, m: SessionMasking): MaskedWrite[] {
  if (m.columns.length === 0) return [];
  const out: MaskedWrite[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!isObj(v)) return;
    if (isObj(v.InsertStmt)) insert(v.InsertStmt, m, out);
    if (isObj(v.UpdateStmt)) assignments(relationName(v.UpdateStmt.relation), v.UpdateStmt.targetList, m, out);
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

function relationName(rel: unknown): string {
  const r = rel as { schemaname?: string; relname?: string } | undefined;
  return r?.schemaname ? `${r.schemaname}.${r.relname}` : String(r?.relname ?? "");
}

function insert(stmt: Node, m: SessionMasking, out: MaskedWrite[]): void {
  const table = relationName(stmt.relation);
  const cols = (stmt.cols as Node[] | undefined)?.map((c) => String((c.ResTarget as Node).name));
  const select = (stmt.selectStmt as Node | undefined)?.SelectStmt as Node | undefined;
  const rows: unknown[][] = select?.valuesLists
    ? (select.valuesLists as Node[]).map((r) => ((r.List as Node).items as unknown[]) ?? [])
    : select?.targetList
      ? [(select.targetList as Node[]).map((t) => (t.ResTarget as Node).val)]
      : [];
  // Set operations and the like: any value may land in any column.
  if (select && !select.valuesLists && !select.targetList && referenceCovered(m, table, "*")) out.push({ column: `${table}.*`, ...valuesOf(select) });
  for (const row of rows) {
    row.forEach((expr, i) => {
      const column = cols?.[i] ?? "*";
      if (referenceCovered(m, table, column)) out.push({ column: `${table}.${column}`, ...valuesOf(expr) });
    });
  }
  const conflict = stmt.onConflictClause as Node | undefined;
  if (conflict?.targetList) assignments(table, conflict.targetList, m, out);
}

function assignments(table: string, targets: unknown, m: SessionMasking, out: MaskedWrite[]): void {
  for (const t of (targets as Node[] | undefined) ?? []) {
    const rt = t.ResTarget as Node;
    const column = String(rt.name);
    if (referenceCovered(m, table, column)) out.push({ column: `${table}.${column}`, ...valuesOf(rt.val) });
  }
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
