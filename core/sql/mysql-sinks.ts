import type { MysqlStatementText } from "./mysql-lexer";
import { exchangedTables } from "../policy/mysql-keyword-forms";
import { byShape, isObj, nameOf, outputsOf, parse, Scope, selectOf, walk, type ColumnReference } from "./mysql-columns";

type Node = Record<string, unknown>;

/**
 * Where a MySQL text puts values it reads, besides its result: `dest` a table column (`table.column`,
 * or `table` when the column cannot be told), a user variable (`@name`), or a renamed table or
 * column (`rename`: the old name in `reads`, the new one in `dest`). For masking, which would not
 * follow values copied there (INSERT/REPLACE ... SELECT, CREATE TABLE ... SELECT, UPDATE ... SET,
 * SELECT ... INTO @v, @v := ..., SET @v = ..., RENAME TABLE, ALTER TABLE ... RENAME/CHANGE, a
 * generated column added by ALTER TABLE, a trigger's SET NEW.column = ..., EXCHANGE PARTITION), or a file on the server (`file`: SELECT ... INTO OUTFILE/DUMPFILE).
 * Null when a statement cannot be read (callers assume the worst).
 */
export type MysqlSink = {
  kind: "column" | "variable" | "rename" | "file";
  table: string | null;
  dest: string | null;
  reads: ColumnReference[];
  /** A rename by EXCHANGE PARTITION: the rows of the table read move into the partition of `table`, and its rows the other way. */
  exchange?: true;
};

const cache = new Map<string, MysqlSink[] | null>();

export function mysqlSinks(text: string): MysqlSink[] | null {
  return byShape(cache, text, sinksOf);
}

function sinksOf(statements: MysqlStatementText[]): MysqlSink[] | null {
  const out: MysqlSink[] = [];
  for (const s of statements) {
    // ALTER TABLE t EXCHANGE PARTITION p WITH TABLE t2 (which the grammar does not read): each table's rows move to the other.
    const exchanged = exchangedTables(s.executable);
    if (exchanged) {
      const [a, b] = exchanged;
      out.push(
        { kind: "rename", table: a, dest: null, reads: [{ table: b, column: "*" }], exchange: true },
        { kind: "rename", table: b, dest: null, reads: [{ table: a, column: "*" }], exchange: true },
      );
      continue;
    }
    const tree = parse(s.shape) ?? parse(s.executable);
    if (!tree) return null;
    const scope = new Scope(tree);
    const tableOf = (t: unknown) => {
      const e = (Array.isArray(t) ? t[0] : t) as Node | undefined;
      const name = nameOf(e?.table);
      const db = nameOf(e?.db);
      return name ? (db ? `${db}.${name}` : name) : null;
    };
    const intoColumns = (table: string | null, columns: Array<string | null>, select: Node) => {
      outputsOf(select).forEach((o, i) => {
        const reads = o.star !== null ? scope.resolve(o.star || null, "*", select, 0) : scope.exprReads(o.expr, select, 0);
        out.push({ kind: "column", table, dest: columns[i] ?? null, reads });
      });
    };
    const type = String(tree.type);
    if ((type === "insert" || type === "replace") && isObj(tree.values)) {
      const table = tableOf(tree.table);
      const columns = Array.isArray(tree.columns) ? (tree.columns as unknown[]).map((c) => nameOf(c)) : [];
      const select = selectOf(tree.values);
      if (select) intoColumns(table, columns, select);
      else
        for (const row of Array.isArray(tree.values.values) ? (tree.values.values as Node[]) : [])
          ((row.value as unknown[] | undefined) ?? []).forEach((v, i) => out.push({ kind: "column", table, dest: columns[i] ?? null, reads: scope.exprReads(v, null, 0) }));
    }
    if (type === "create" && isObj(tree.query_expr)) {
      const select = selectOf(tree.query_expr);
      if (select)
        intoColumns(
          tableOf(tree.table),
          outputsOf(select).map((o) => o.name),
          select,
        );
    }
    // CREATE TRIGGER ... SET NEW.column = expr (the one body the grammar reads): a copy into the trigger's table, for every row written later.
    if (type === "create" && tree.keyword === "trigger" && isObj(tree.execute) && tree.execute.type === "set") {
      const table = tableOf(tree.table);
      for (const a of Array.isArray(tree.execute.expr) ? (tree.execute.expr as Node[]) : []) out.push({ kind: "column", table, dest: nameOf(a.column), reads: scope.exprReads(a.value, null, 0) });
    }
    if (type === "update") {
      const table = tableOf(tree.table);
      for (const a of Array.isArray(tree.set) ? (tree.set as Node[]) : [])
        out.push({ kind: "column", table: nameOf(a.table) ?? table, dest: nameOf(a.column), reads: scope.exprReads(a.value, null, 0) });
    }
    if (type === "rename")
      for (const pair of Array.isArray(tree.table) ? (tree.table as unknown[][]) : [])
        out.push({ kind: "rename", table: tableOf(pair[1]), dest: null, reads: [{ table: tableOf(pair[0]), column: "*" }] });
    if (type === "alter") {
      const table = tableOf(tree.table);
      for (const e of Array.isArray(tree.expr) ? (tree.expr as Node[]) : []) {
        if (e.action === "rename" && e.resource === "table") out.push({ kind: "rename", table: nameOf(e.table), dest: null, reads: [{ table, column: "*" }] });
        // A generated column computed from others is a copy of what it reads.
        if (e.action === "add" && isObj(e.generated)) out.push({ kind: "column", table, dest: nameOf((e.column as Node | undefined)?.column), reads: scope.exprReads(e.generated.expr, null, 0) });
        const old = nameOf((e.old_column as Node | undefined)?.column);
        if (old && (e.action === "rename" || e.action === "change")) out.push({ kind: "rename", table, dest: nameOf((e.column as Node | undefined)?.column), reads: [{ table, column: old }] });
      }
    }
    walk(tree, (n) => {
      // SELECT ... INTO @a, @b: each output into its variable.
      if (n.type === "select" && isObj(n.into) && n.into.keyword === "var")
        for (const o of outputsOf(n)) out.push({ kind: "variable", table: null, dest: "@", reads: o.star !== null ? scope.resolve(o.star || null, "*", n, 0) : scope.exprReads(o.expr, n, 0) });
      // SELECT ... INTO OUTFILE / DUMPFILE: a file on the server, which LOAD_FILE or LOAD DATA reads back.
      if (n.type === "select" && isObj(n.into) && /^(outfile|dumpfile)$/i.test(String(n.into.keyword ?? "")))
        for (const o of outputsOf(n)) out.push({ kind: "file", table: null, dest: null, reads: o.star !== null ? scope.resolve(o.star || null, "*", n, 0) : scope.exprReads(o.expr, n, 0) });
      // @v := expr, SET @v = expr, and a system variable's SET (`SET x = ...`, `SET @@session.x = ...`).
      if (n.type === "assign" && isObj(n.left) && n.left.type === "var") out.push({ kind: "variable", table: null, dest: variableName(n.left), reads: scope.exprReads(n.right, null, 0) });
    });
  }
  return out;
}

/** `@user_var`, or a system variable as `@@x` / `@@session.x` (the grammar reads `x` and `@@session.x` as names with members). */
function variableName(v: Record<string, unknown>): string {
  const name = [String(v.name), ...((v.members as string[] | undefined) ?? [])].join(".");
  return v.prefix === "@" ? `@${name}` : `@@${name}`;
}
