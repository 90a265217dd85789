/**
 * Which source columns each output column of a query reads, from the parse tree alone (no
 * catalog). Used for result columns the server reports no source for (expressions such as
 * `md5(email)`, casts, concatenation, aggregates), the way query-lineage tools trace them.
 *
 * Deliberately over-approximate: a reference is resolved by name through every relation, alias,
 * subquery and CTE of the statement, an unqualified column may belong to any of them (table null),
 * and a whole-row reference (`row_to_json(u)`, `u.*`) reads every column of its table. Masking on
 * this can hide too much, never too little.
 */
export type ColumnRead = { table: string | null; column: string };
/** Per output column, in order: `star` when it is a `*` / `t.*` entry (expands to many columns). */
export type OutputLineage = { star: boolean; reads: ColumnRead[] };
export type QueryLineage = { outputs: OutputLineage[]; reads: ColumnRead[] };

type Node = Record<string, unknown>;
type DerivedColumn = { name: string; body: Node; index: number };
/** A function in FROM (`unnest(array[name]) x`, `json_to_recordset(j) as r(a text)`): its columns read what its arguments read. */
type RangeFunction = { calls: Node[]; names: Set<string> | null };
type Scope = { relations: Map<string, string>; derived: Map<string, DerivedColumn[]>; functions: Map<string, RangeFunction> };

const str = (n: unknown): string | undefined => ((n as Node | undefined)?.String as { sval?: string } | undefined)?.sval;
const isObj = (v: unknown): v is Node => typeof v === "object" && v !== null;

/** The lineage of a statement that returns rows, or null when it returns none this module can trace. */
export function statementLineage(tree: Node): QueryLineage | null {
  const node = Object.keys(tree)[0];
  const body = tree[node] as Node;
  const scope: Scope = { relations: new Map(), derived: new Map(), functions: new Map() };
  collectScope(tree, scope);
  if (node === "SelectStmt") return selectLineage(body, scope);
  const returning = (body.returningClause as Node | undefined)?.exprs ?? body.returningList; // PG 18 / older trees
  if ((node === "InsertStmt" || node === "UpdateStmt" || node === "DeleteStmt" || node === "MergeStmt") && Array.isArray(returning)) {
    return targetsLineage(returning as Node[], scope);
  }
  if (node === "CopyStmt" && isObj(body.query)) return statementLineage(body.query);
  if (node === "DeclareCursorStmt" && isObj(body.query)) return statementLineage(body.query);
  if (node === "ExplainStmt") return { outputs: [{ star: false, reads: [] }], reads: [] };
  return null;
}

/** Every column an expression of a statement reads (sub-queries included), resolved through the whole statement's relations, sub-queries and CTEs. */
export function expressionReads(tree: Node, expr: unknown): ColumnRead[] {
  const scope: Scope = { relations: new Map(), derived: new Map(), functions: new Map() };
  collectScope(tree, scope);
  return readsOf(expr, scope);
}

/** The name a select-list entry gives its output column (its alias, or the column it names), if any. */
export function outputName(target: unknown): string | undefined {
  const rt = (target as Node | undefined)?.ResTarget as Node | undefined;
  if (typeof rt?.name === "string") return rt.name;
  const fields = ((rt?.val as Node | undefined)?.ColumnRef as Node | undefined)?.fields as Node[] | undefined;
  return fields ? str(fields.at(-1)) : undefined;
}

function selectLineage(body: Node, scope: Scope): QueryLineage {
  if (body.op && body.op !== "SETOP_NONE") {
    const l = selectLineage(body.larg as Node, scope);
    const r = selectLineage(body.rarg as Node, scope);
    const outputs = l.outputs.map((o, i) => ({ star: o.star || !!r.outputs[i]?.star, reads: [...o.reads, ...(r.outputs[i]?.reads ?? [])] }));
    return { outputs, reads: [...l.reads, ...r.reads] };
  }
  if (Array.isArray(body.valuesLists)) {
    const rows = body.valuesLists as Node[];
    const width = ((rows[0]?.List as Node | undefined)?.items as unknown[] | undefined)?.length ?? 0;
    const outputs = Array.from({ length: width }, (_, i) => ({ star: false, reads: rows.flatMap((row) => readsOf(((row.List as Node).items as unknown[])[i], scope)) }));
    return { outputs, reads: outputs.flatMap((o) => o.reads) };
  }
  return targetsLineage((body.targetList as Node[] | undefined) ?? [], scope);
}

function targetsLineage(targets: Node[], scope: Scope): QueryLineage {
  const outputs = targets.map((t) => {
    const val = (t.ResTarget as Node | undefined)?.val;
    const fields = ((val as Node | undefined)?.ColumnRef as Node | undefined)?.fields as Node[] | undefined;
    return { star: !!fields && "A_Star" in (fields.at(-1) ?? {}), reads: readsOf(val, scope) };
  });
  return { outputs, reads: outputs.flatMap((o) => o.reads) };
}

/** Every column an expression reads (sub-queries included), resolved through the scope. */
function readsOf(expr: unknown, scope: Scope, depth = 0): ColumnRead[] {
  const out: ColumnRead[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!isObj(v)) return;
    if (isObj(v.ColumnRef)) return void out.push(...resolve((v.ColumnRef.fields as Node[]) ?? [], scope, depth));
    for (const k in v) walk(v[k]);
  };
  walk(expr);
  return out;
}

function resolve(fields: Node[], scope: Scope, depth: number): ColumnRead[] {
  const names = fields.map((f) => ("A_Star" in f ? "*" : (str(f) ?? "?")));
  const column = names.at(-1)!;
  const qualifier = names.length > 1 ? names.slice(0, -1).join(".") : null;
  const out: ColumnRead[] = [];
  const viaDerived = (alias: string | null) => {
    for (const [name, cols] of scope.derived) {
      if (alias !== null && name !== alias) continue;
      for (const c of cols) {
        if (column !== "*" && c.name !== column && c.name !== "*") continue;
        // Sub-queries may refer to each other (and CTEs to themselves): past a depth, assume the worst.
        if (depth > 6) out.push({ table: null, column: "*" });
        else out.push(...derivedReads(c.body, c.index, scope, depth + 1));
      }
    }
  };
  const viaFunctions = (alias: string | null) => {
    for (const [name, fn] of scope.functions) {
      if (alias !== null ? name !== alias : fn.names !== null && !fn.names.has(column) && column !== "*") continue;
      out.push(...(depth > 6 ? [{ table: null, column: "*" }] : readsOf(fn.calls, scope, depth + 1)));
    }
  };
  if (qualifier === null) {
    out.push({ table: null, column });
    viaFunctions(null);
    const rel = scope.relations.get(column);
    if (rel && column !== "*") out.push({ table: rel, column: "*" }); // a bare alias: the whole row
    if (scope.derived.has(column)) {
      const saved = column;
      for (const c of scope.derived.get(saved)!) out.push(...(depth > 6 ? [{ table: null, column: "*" }] : derivedReads(c.body, c.index, scope, depth + 1)));
    }
    viaDerived(null);
    return out;
  }
  const alias = qualifier.split(".").at(-1)!;
  const rel = scope.relations.get(qualifier) ?? scope.relations.get(alias);
  if (rel) out.push({ table: rel, column });
  if (scope.derived.has(alias)) viaDerived(alias);
  if (scope.functions.has(alias)) viaFunctions(alias);
  if (!rel && !scope.derived.has(alias)) out.push({ table: qualifier, column });
  return out;
}

/** Relations (by alias and name) and the outputs of sub-queries and CTEs, anywhere in the statement. */
function collectScope(tree: unknown, scope: Scope): void {
  const ctes = new Set<string>();
  const names = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(names);
    if (!isObj(v)) return;
    if (isObj(v.CommonTableExpr)) ctes.add(String(v.CommonTableExpr.ctename));
    for (const k in v) names(v[k]);
  };
  names(tree);
  const walk = (v: unknown) => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!isObj(v)) return;
    if (isObj(v.CommonTableExpr)) {
      const cte = v.CommonTableExpr;
      addDerived(
        scope,
        String(cte.ctename),
        cte.ctequery,
        (cte.aliascolnames as Node[] | undefined)?.map((n) => str(n) ?? "?"),
      );
    }
    if (isObj(v.RangeSubselect)) {
      const alias = (v.RangeSubselect.alias as Node | undefined)?.aliasname;
      if (alias)
        addDerived(
          scope,
          String(alias),
          v.RangeSubselect.subquery,
          ((v.RangeSubselect.alias as Node).colnames as Node[] | undefined)?.map((n) => str(n) ?? "?"),
        );
    }
    if (isObj(v.RangeFunction)) addRangeFunction(scope, v.RangeFunction);
    const rv = (isObj(v.RangeVar) ? v.RangeVar : undefined) ?? (isObj(v.relation) && typeof v.relation.relname === "string" ? v.relation : undefined);
    if (rv && typeof rv.relname === "string") {
      const name = rv.schemaname ? `${rv.schemaname}.${rv.relname}` : String(rv.relname);
      const alias = (rv.alias as Node | undefined)?.aliasname as string | undefined;
      if (!ctes.has(String(rv.relname))) {
        scope.relations.set(alias ?? String(rv.relname), name);
        scope.relations.set(name, name);
      } else if (alias) scope.derived.set(alias, scope.derived.get(String(rv.relname)) ?? []);
    }
    for (const k in v) walk(v[k]);
  };
  walk(tree);
}

/**
 * A function in FROM, by its alias (or its name): its columns are the alias (a function returning one
 * value), the names the alias or a column definition list gives, or, when none is given (`jsonb_each(j)
 * e`: key, value), any unqualified name, since the text does not say what it returns.
 */
function addRangeFunction(scope: Scope, rf: Node): void {
  const lists = ((rf.functions as Node[] | undefined) ?? []).map((f) => ((f.List as Node | undefined)?.items as Node[] | undefined) ?? []);
  const calls = lists.map((items) => items[0]).filter(isObj);
  const fname = ((calls[0]?.FuncCall as Node | undefined)?.funcname as Node[] | undefined)?.map(str).at(-1);
  const alias = ((rf.alias as Node | undefined)?.aliasname as string | undefined) ?? fname;
  if (!alias) return;
  const colname = (d: unknown) => ((d as Node).ColumnDef as Node | undefined)?.colname as string | undefined;
  const declared = [
    ...(((rf.alias as Node | undefined)?.colnames as Node[] | undefined) ?? []).map(str),
    ...((rf.coldeflist as Node[] | undefined) ?? []).map(colname),
    ...lists.flatMap((items) => (((items[1]?.List as Node | undefined)?.items as Node[] | undefined) ?? []).map(colname)),
  ].filter((n): n is string => !!n);
  scope.functions.set(alias, { calls, names: declared.length ? new Set([alias, ...declared]) : null });
}

function addDerived(scope: Scope, alias: string, query: unknown, colnames?: string[]): void {
  if (!isObj(query) || !isObj(query.SelectStmt)) return;
  const body = query.SelectStmt;
  const cols: DerivedColumn[] = firstTargets(body).map((t, i) => {
    const rt = t.ResTarget as Node;
    const fields = ((rt.val as Node | undefined)?.ColumnRef as Node | undefined)?.fields as Node[] | undefined;
    return { name: colnames?.[i] ?? (rt.name as string | undefined) ?? (fields ? (str(fields.at(-1)) ?? "*") : "?column?"), body, index: i };
  });
  scope.derived.set(alias, [...(scope.derived.get(alias) ?? []), ...cols]);
}

function firstTargets(body: Node): Node[] {
  if (body.op && body.op !== "SETOP_NONE") return firstTargets(body.larg as Node);
  return (body.targetList as Node[] | undefined) ?? [];
}

/** What output `i` of a sub-query reads; resolved when referenced, against the statement's whole scope. */
function derivedReads(body: Node, i: number, scope: Scope, depth: number): ColumnRead[] {
  if (body.op && body.op !== "SETOP_NONE") return [...derivedReads(body.larg as Node, i, scope, depth), ...derivedReads(body.rarg as Node, i, scope, depth)];
  const t = ((body.targetList as Node[] | undefined) ?? [])[i];
  if (!t) return [];
  const val = (t.ResTarget as Node).val;
  const fields = ((val as Node | undefined)?.ColumnRef as Node | undefined)?.fields as Node[] | undefined;
  // `select *` inside: every column of what it selects from, unknown here: assume any.
  if (fields && "A_Star" in (fields.at(-1) ?? {})) return [...readsOf(val, scope, depth), { table: null, column: "*" }];
  return readsOf(val, scope, depth);
}
