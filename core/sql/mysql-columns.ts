import { splitMysql, type MysqlStatementText } from "./mysql-lexer";
import { grammarForm } from "./mysql-grammar-form";
import { ParseAllowanceExceeded, parseMysql, withParseAllowance } from "./mysql-parser";

/** A column a query text reads: table as written (`db.table` or `table`; null when the grammar cannot tell), `*` for a whole row. */
export type ColumnReference = { table: string | null; column: string | "*" };

/** What masking needs of a MySQL text, read from node-sql-parser's trees (MariaDB grammar, then MySQL's). */
export type MysqlLineage = {
  /** Every column it reads, aliases resolved to their tables and derived tables and CTEs to what they read. */
  refs: ColumnReference[];
  /** The relations it names, as written (`db.table` or `table`): what may be a view. */
  relations: string[];
  /**
   * What column `column` of the relation `relation` reads, where a result column's definition names
   * a relation of the text (a table or view, an alias, a derived table, a CTE); null when no relation
   * of the text has that name.
   */
  through: (relation: string, column: string) => ColumnReference[] | null;
  /** It runs DDL (CREATE, ALTER, DROP, RENAME): a name may denote something else for its later statements. */
  ddl: boolean;
  /** It calls a stored procedure: its results come from relations the text does not name. */
  calls: boolean;
  /** The functions it calls, lower case, without their database (a stored function among them reads relations the text does not name). */
  functions: string[];
};

type Node = Record<string, unknown>;
/** A table or view (as written), or a derived table or CTE: its select and the column names it gives. */
type Relation = { table: string } | { select: Node; columns: string[] | null };

const MAX_DEPTH = 8;
export const isObj = (v: unknown): v is Node => typeof v === "object" && v !== null && !Array.isArray(v);
/** A name as the trees hold it: a string, or `{ value }` / `{ expr: { value } }` when it was quoted. */
export const nameOf = (v: unknown): string | null => (typeof v === "string" ? v : isObj(v) ? (nameOf(v.value) ?? nameOf((v.expr as Node | undefined)?.value)) : null);
const DDL = new Set(["create", "alter", "drop", "rename"]);

/**
 * The one tree of a statement, or null when neither grammar reads it, or reads it other than the
 * server does: the grammar takes `binary code` for a column named binary aliased code, where the
 * server reads the BINARY operator on code (and masking would have traced the wrong column).
 */
export function parse(sql: string): Node | null {
  // What the grammar reads of it (hints dropped, operators it lacks respelled: mysql-grammar-form.ts).
  const readable = grammarForm(sql);
  for (const database of ["MariaDB", "MySQL"] as const) {
    try {
      const { ast } = parseMysql(readable, database);
      const asts = (Array.isArray(ast) ? ast : [ast]) as unknown as Node[];
      if (asts.length !== 1) return null;
      let misread = false;
      walk(asts[0], (n) => (misread ||= n.type === "column_ref" && typeof n.column === "string" && n.column.toLowerCase() === "binary"));
      return misread ? null : asts[0];
    } catch (err) {
      // Nesting past the parser's recursion (thousands of levels) or its allowance: the other grammar would fare no better.
      if (err instanceof RangeError || err instanceof ParseAllowanceExceeded) return null;
      // the other grammar, then
    }
  }
  return null;
}

/**
 * The relations of one statement by every name a column may qualify them with (alias, name,
 * `db.name`), collected from the whole tree: an alias reused in two sub-queries denotes both
 * (over-matching masks more, never less).
 */
export class Scope {
  readonly relations = new Map<string, Relation[]>();
  readonly tables: string[] = [];
  private readonly ctes = new Map<string, Relation>();
  private readonly memo = new Map<Relation, Map<string, ColumnReference[]>>();

  constructor(readonly tree: Node) {
    walk(tree, (n) => {
      for (const w of Array.isArray(n.with) ? (n.with as Node[]) : []) {
        const name = nameOf(w.name)?.toLowerCase();
        const select = selectOf(w.stmt);
        if (!name || !select) continue;
        const columns = Array.isArray(w.columns) ? (w.columns as Node[]).map((c) => nameOf(c.column) ?? "") : null;
        const rel = { select, columns };
        this.ctes.set(name, rel);
        this.add(name, rel);
      }
    });
    // A trigger's body reads the row of its table as NEW and OLD.
    const trigger = tree.type === "create" && tree.keyword === "trigger" && isObj(tree.table) ? { ...tree.table, as: "new" } : null;
    walk(tree, (n) => {
      const entries = [...fromEntries(n.from), ...(["update", "delete", "insert", "replace"].includes(String(n.type)) ? fromEntries(n.table) : [])];
      if (n === tree && trigger) entries.push(trigger, { ...trigger, as: "old" });
      for (const entry of entries) {
        const rel = this.relationOf(entry);
        if (!rel) continue;
        const alias = nameOf(entry.as)?.toLowerCase();
        if (alias) this.add(alias, rel);
        if ("table" in rel && !this.tables.includes(rel.table)) {
          this.tables.push(rel.table);
          this.add(rel.table.toLowerCase(), rel);
          this.add(rel.table.split(".").at(-1)!.toLowerCase(), rel);
        }
      }
    });
  }

  /** A FROM entry as a relation (a CTE's name is the CTE, unless qualified by a database). */
  relationOf(entry: Node): Relation | null {
    if (typeof entry.table === "string") {
      const db = nameOf(entry.db);
      return (!db && this.ctes.get(entry.table.toLowerCase())) || { table: db ? `${db}.${entry.table}` : entry.table };
    }
    const select = isObj(entry.expr) ? selectOf(entry.expr) : null;
    return select ? { select, columns: null } : null;
  }

  private add(name: string, rel: Relation): void {
    const list = this.relations.get(name) ?? [];
    if (!list.includes(rel)) list.push(rel);
    this.relations.set(name, list);
  }

  /** What a column reference reads; `local` is the select it appears in (an unqualified `*` is its FROM). */
  resolve(qualifier: string | null, column: string, local: Node | null, depth: number): ColumnReference[] {
    if (depth > MAX_DEPTH) return [{ table: null, column: "*" }];
    if (qualifier !== null) {
      const rels = this.relations.get(qualifier.toLowerCase()) ?? this.relations.get(qualifier.split(".").at(-1)!.toLowerCase());
      if (!rels) return [{ table: qualifier, column }];
      return rels.flatMap((r) => this.readsOf(r, column, depth + 1));
    }
    if (column === "*" && local) return fromEntries(local.from).flatMap((e) => this.readsOfEntry(e, "*", depth + 1));
    // An unqualified column may be one of any derived table or CTE of the statement.
    const out: ColumnReference[] = [{ table: null, column }];
    const seen = new Set<Relation>();
    for (const rels of this.relations.values())
      for (const r of rels) {
        if ("table" in r || seen.has(r)) continue;
        seen.add(r);
        out.push(...this.readsOf(r, column, depth + 1, true));
      }
    return out;
  }

  /**
   * What column `column` (or `*`) of a relation reads (memoised per derived table and column).
   * `guess`: the column may not be this relation's (an unqualified name): only a matching output counts.
   */
  readsOf(rel: Relation, column: string, depth: number, guess = false): ColumnReference[] {
    if ("table" in rel) return [{ table: rel.table, column }];
    const key = `${guess ? "?" : ""}${column.toLowerCase()}`;
    const memo = this.memo.get(rel) ?? new Map<string, ColumnReference[]>();
    this.memo.set(rel, memo);
    const known = memo.get(key);
    if (known) return known;
    // A recursive CTE reads itself: while one is being traced, a reference back to it may read anything.
    memo.set(key, [{ table: null, column: "*" }]);
    const out = depth > MAX_DEPTH ? [{ table: null, column: "*" }] : this.derivedReads(rel, column, depth, guess);
    const reads = unique(out);
    memo.set(key, reads);
    return reads;
  }

  private derivedReads(rel: { select: Node; columns: string[] | null }, column: string, depth: number, guess: boolean): ColumnReference[] {
    const arms = armsOf(rel.select);
    const first = outputsOf(arms[0]);
    const names = rel.columns ?? first.map((o) => o.name);
    const stars = arms.some((a) => outputsOf(a).some((o) => o.star !== null));
    // An output the server names otherwise than the tree does (an expression without an alias): when no name matches, every output.
    const all = column === "*" || (!guess && !stars && !names.some((n) => n?.toLowerCase() === column.toLowerCase()));
    const out: ColumnReference[] = [];
    names.forEach((name, i) => {
      if (!all && name?.toLowerCase() !== column.toLowerCase()) return;
      // Past a `*` positions do not line up across UNION arms: the other arms' outputs are all read.
      for (const [k, arm] of arms.entries()) for (const o of stars && k > 0 ? outputsOf(arm) : [outputsOf(arm)[i]]) if (o) out.push(...this.exprReads(o.expr, arm, depth));
    });
    for (const arm of arms)
      for (const o of outputsOf(arm))
        if (o.star !== null) out.push(...(o.star ? this.resolve(o.star, column, arm, depth) : fromEntries(arm.from).flatMap((e) => this.readsOfEntry(e, column, depth + 1))));
    return out;
  }

  private readsOfEntry(entry: Node, column: string, depth: number): ColumnReference[] {
    const rel = this.relationOf(entry);
    return rel ? this.readsOf(rel, column, depth) : [];
  }

  /** Every column an expression reads, sub-queries included. */
  exprReads(expr: unknown, local: Node | null, depth: number): ColumnReference[] {
    const out: ColumnReference[] = [];
    const visit = (v: unknown, select: Node | null): void => {
      if (Array.isArray(v)) return v.forEach((x) => visit(x, select));
      if (!isObj(v)) return;
      if (v.type === "column_ref") {
        const table = nameOf(v.table);
        const db = nameOf(v.db);
        const column = nameOf(v.column);
        if (column) out.push(...this.resolve(table ? (db ? `${db}.${table}` : table) : null, column, select, depth));
        return;
      }
      const inner = v.type === "select" ? v : select;
      for (const k in v) visit(v[k], inner);
    };
    visit(expr, local);
    return out;
  }
}

/** A statement's select, from `{ ast }` wrappers (sub-queries, CTE bodies) or itself. */
export function selectOf(v: unknown): Node | null {
  if (!isObj(v)) return null;
  if (v.type === "select") return v;
  return isObj(v.ast) && v.ast.type === "select" ? v.ast : null;
}

/** The entries of a FROM list, parenthesised joins flattened (`from (a join b)` is an object holding them, as MariaDB normalises view definitions). */
function fromEntries(from: unknown): Node[] {
  if (isObj(from) && Array.isArray(from.expr)) return fromEntries(from.expr);
  if (!Array.isArray(from)) return [];
  return (from as unknown[]).flatMap((e) => (isObj(e) ? (Array.isArray(e.expr) ? fromEntries(e.expr) : [e]) : []));
}

/** The arms of a UNION / INTERSECT / EXCEPT, in order. */
function armsOf(select: Node): Node[] {
  const out: Node[] = [];
  for (let s: Node | null = select; s && out.length < 64; s = isObj(s._next) ? s._next : null) out.push(s);
  return out;
}

type Output = { name: string | null; expr: unknown; star: string | null };

/** The outputs of a select: their names, expressions, and for `*` / `t.*` the qualifier ("" for none). */
export function outputsOf(select: Node): Output[] {
  if (select.columns === "*") return [{ name: null, expr: null, star: "" }];
  return ((select.columns as Node[] | undefined) ?? []).map((c) => {
    const e = c.expr as Node | undefined;
    const ref = e?.type === "column_ref";
    const column = ref ? nameOf(e.column) : null;
    if (column === "*") {
      const table = nameOf(e!.table);
      const db = nameOf(e!.db);
      return { name: null, expr: e, star: table ? (db ? `${db}.${table}` : table) : "" };
    }
    return { name: nameOf(c.as) ?? column, expr: e, star: null };
  });
}

const unique = (refs: ColumnReference[]) => [...new Map(refs.map((r) => [`${r.table}\0${r.column}`, r])).values()];

export function walk(v: unknown, visit: (n: Node) => void): void {
  if (Array.isArray(v)) return v.forEach((x) => walk(x, visit));
  if (!isObj(v)) return;
  visit(v);
  for (const k in v) walk(v[k], visit);
}

const cache = new Map<string, MysqlLineage | null>();

/**
 * What `compute` makes of a text's statements, cached in `memo` by their shape (literals blanked:
 * they say nothing of columns or of where values go), so a statement repeated with other values is
 * parsed once; null when the text cannot be split, or its parsing runs out of its allowance.
 */
export function byShape<T>(memo: Map<string, T | null>, text: string, compute: (statements: MysqlStatementText[]) => T | null): T | null {
  const split = splitMysql(text);
  if (!split.ok) return null;
  const key = split.statements.map((s) => s.shape).join("\0");
  if (memo.has(key)) return memo.get(key)!;
  // `compute` parses: one parsing allowance for the text (mysql-parser.ts), and a text that runs out of it is one that cannot be read.
  const { result: computed, exceeded } = withParseAllowance(text.length, () => compute(split.statements));
  const result = exceeded ? null : computed;
  if (memo.size >= 2000) memo.clear();
  memo.set(key, result);
  return result;
}

/**
 * The lineage of a MySQL text, statement by statement (executable comments opened); null when a
 * statement cannot be read (callers then assume the worst). Cached by the statements' shape
 * (literals blanked: they say nothing of columns), so a statement repeated with other values is
 * parsed once.
 */
export function mysqlLineage(text: string): MysqlLineage | null {
  return byShape(cache, text, lineageOf);
}

function lineageOf(statements: MysqlStatementText[]): MysqlLineage | null {
  const scopes: Scope[] = [];
  for (const s of statements) {
    // A literal the grammar needs as it was (a DATE '...' it cannot read blank): the statement itself.
    const tree = parse(s.shape) ?? parse(s.executable);
    if (!tree) return null;
    scopes.push(new Scope(tree));
  }
  return {
    refs: unique(scopes.flatMap((s) => s.exprReads(s.tree, null, 0))),
    relations: [...new Set(scopes.flatMap((s) => s.tables))],
    through(relation, column) {
      const rels = scopes.map((s) => [s, s.relations.get(relation.toLowerCase())] as const).filter(([, r]) => r);
      return rels.length ? rels.flatMap(([s, r]) => r!.flatMap((rel) => s.readsOf(rel, column, 0))) : null;
    },
    ddl: scopes.some((s) => DDL.has(String(s.tree.type))),
    calls: scopes.some((s) => s.tree.type === "call"),
    functions: [...new Set(scopes.flatMap((s) => functionsCalled(s.tree)))],
  };
}

/** The names of the functions a tree calls (the grammar's `function` nodes: built-ins and stored functions alike), lower case. */
function functionsCalled(tree: Node): string[] {
  const out: string[] = [];
  walk(tree, (n) => {
    if (n.type !== "function" || !isObj(n.name) || !Array.isArray(n.name.name)) return;
    const name = nameOf((n.name.name as unknown[]).at(-1));
    if (name) out.push(name.toLowerCase());
  });
  return out;
}

/**
 * The aliases of the JSON_TABLE(...) calls of a text, lower case. The grammar does not read
 * JSON_TABLE, and the server reports its columns under the alias as if it were a table: their values
 * come from whatever its arguments read (`json_table(json_object('c', code), ...) j`).
 */
export function tableFunctionAliases(text: string): Set<string> {
  const out = new Set<string>();
  if (!/json_table/i.test(text)) return out;
  const split = splitMysql(text);
  for (const s of split.ok ? split.statements : []) {
    const t = s.shape; // strings are '' here: a parenthesis in one cannot unbalance the count
    const call = /\bjson_table\s*\(/gi;
    for (let m = call.exec(t); m; m = call.exec(t)) {
      let i = call.lastIndex;
      for (let depth = 1; i < t.length && depth > 0; i++) depth += t[i] === "(" ? 1 : t[i] === ")" ? -1 : 0;
      const alias = /^\s*(?:as\s+)?(`(?:[^`]|``)+`|[\w$]+)/i.exec(t.slice(i));
      if (alias) out.add(alias[1].replace(/^`|`$/g, "").replace(/``/g, "`").toLowerCase());
    }
  }
  return out;
}

/** What starts a statement that may return a table's rows: a query, or what runs one the text does not show. */
const ROWS = /^(\(|select\b|with\b|table\b|call\b|execute\b)|\breturning\b/i;

/**
 * Whether a text may return rows read from tables or views (a query, CALL, EXECUTE, RETURNING),
 * by each statement's first word (no parse): what writes only is not worth parsing for its views.
 * True when the text cannot be split (callers assume the worst).
 */
export function mayReturnRows(text: string): boolean {
  const split = splitMysql(text);
  return !split.ok || split.statements.some((s) => ROWS.test(s.executable));
}

/**
 * The columns a MySQL text reads, statement by statement; null when a statement cannot be read.
 * What masking uses for computed result columns, which carry no source of their own.
 */
export function referencedColumns(text: string): ColumnReference[] | null {
  return mysqlLineage(text)?.refs ?? null;
}

/**
 * A view's columns and what each reads, from its definition as information_schema.VIEWS holds it
 * (MariaDB and MySQL store it normalised: every column qualified, every output named, `*` expanded);
 * null when the definition cannot be read or still holds a `*` (the caller masks the view whole).
 */
/**
 * The functions a view's definition calls: per output column, in its own expression (subqueries
 * included), and elsewhere (a derived table, WHERE, another branch of a UNION), where what they
 * compute may reach any column. Each call counted once. Null when the definition cannot be read.
 */
export function viewFunctions(definition: string): { columns: string[][]; elsewhere: string[] } | null {
  const tree = definition.trim() ? parse(definition) : null;
  if (!tree || tree.type !== "select") return null;
  const columns = outputsOf(tree).map((o) => (isObj(o.expr) ? functionsCalled(o.expr) : []));
  const elsewhere = functionsCalled(tree);
  for (const f of columns.flat()) {
    const i = elsewhere.indexOf(f);
    if (i >= 0) elsewhere.splice(i, 1);
  }
  return { columns, elsewhere };
}

export function viewColumns(definition: string): Array<{ name: string; reads: ColumnReference[] }> | null {
  const tree = definition.trim() ? parse(definition) : null;
  if (!tree || tree.type !== "select") return null;
  const scope = new Scope(tree);
  const outputs = outputsOf(tree);
  if (outputs.some((o) => o.star !== null || !o.name)) return null;
  const rel: Relation = { select: tree, columns: null };
  return outputs.map((o) => ({ name: o.name!.toLowerCase(), reads: scope.readsOf(rel, o.name!, 0) }));
}
