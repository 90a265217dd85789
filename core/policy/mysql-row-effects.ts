import type { Classification, StatementClass } from "./classify-statement";

// Rows a MySQL statement writes or deletes that its parse tree (node-sql-parser's) shows in no table list or write node.

type Node = Record<string, unknown>;

/**
 * ALTER TABLE t TRUNCATE PARTITION p (or ALL) empties partitions and DROP PARTITION deletes them with their rows: every row
 * of each, no WHERE and no DELETE trigger, as TRUNCATE does (a rule against TRUNCATE or unbounded writes meets it).
 */
export function partitionRowsDeleted(ast: Node, c: Classification, classes: Set<StatementClass>): void {
  if (!Array.isArray(ast.expr) || !(ast.expr as Node[]).some((e) => e?.resource === "partition" && (e.action === "truncate" || e.action === "drop"))) return;
  classes.add("write");
  c.writesWithoutWhere = true;
  if (!c.runs.includes("TRUNCATE")) c.runs.push("TRUNCATE");
}

/**
 * LOAD DATA writes rows into its table (the grammar's table list leaves it out): it runs an INSERT,
 * and with REPLACE a DELETE of each row it collides with, as REPLACE does; without LOCAL it reads a
 * file on the server.
 */
export function loadData(ast: Node, c: Classification): void {
  const t = ast.table as { db?: string | null; table?: string } | undefined;
  const name = t?.table ? (t.db ? `${t.db}.${t.table}` : t.table) : null;
  if (name && !c.tables.includes(name)) c.tables.push(name);
  for (const k of String(ast.replace_ignore).toLowerCase() === "replace" ? ["INSERT", "DELETE"] : ["INSERT"]) if (!c.runs.includes(k)) c.runs.push(k);
  if (!ast.local) c.copiesServerFile = true;
}
