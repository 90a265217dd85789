/** Which statements read rows of the relations they name: both SQL dialects follow views only for those (pg-view-reads.ts, mysql-view-reads.ts, the MySQL guard, the try box). */
import type { Classification } from "./classify-statement";
import { addEveryTableOf } from "./every-table";
import { writtenTables } from "../sql/written-tables";

/**
 * Kinds of statement that name relations without reading their rows (DDL, grants, metadata, a plain
 * EXPLAIN, maintenance). A plain CREATE TABLE names its parents, what it is LIKE and what its keys
 * reference, and reads none of their rows (CREATE TABLE AS and SELECT INTO are other kinds; MySQL's
 * CREATE TABLE ... SELECT runs a SELECT, read off its parse tree: mysql-linked-tables.ts).
 */
const NO_ROWS =
  /^(?:DROP|ALTER|GRANT|REVOKE|COMMENT|SHOW|DESC|LOCK|UNLOCK|SECURITY LABEL|CREATE TABLE$|CREATE (?:OR REPLACE )?(?:VIEW|INDEX|TRIGGER|RULE|POLICY|STATISTICS|SEQUENCE|PUBLICATION)|RENAME|CHECK|ANALYZE$|ANALYZE TABLE|OPTIMIZE|REPAIR|CHECKSUM|VACUUM|REINDEX|CLUSTER|TRUNCATE|REFRESH|FLUSH|EXPLAIN$)/;

/** Whether a statement (or what it runs: an EXPLAIN ANALYZE's query, a PREPARE's) reads rows of the relations it names, so that a view among them is read through. */
export const readsRows = (c: Classification): boolean => [c.kind, ...c.runs].some((k) => !NO_ROWS.test(k));

/** A relation's name without its schema and quotes, lower case (how both dialects' tables are compared here and in text-changes.ts). */
export const bare = (t: string) => t.replace(/[`"]/g, "").split(".").at(-1)!.toLowerCase();

/**
 * The catalogs that keep samples of any table's values: PostgreSQL's planner statistics
 * (`pg_stats.most_common_vals`, `histogram_bounds`, extended statistics), MariaDB's engine-independent
 * statistics (`mysql.column_stats` min, max, histograms) and MySQL 8's histograms
 * (`information_schema.column_statistics`). Reading one reads values of every table.
 */
const SAMPLES = /^(?:pg_stats|pg_statistic|pg_stats_ext|pg_stats_ext_exprs|pg_statistic_ext_data|column_stats|column_statistics)$/;

/** `c` reading a catalog of samples of every table's values (SAMPLES) as reading every table: deny and review rules on any table meet it. In place (the caller's own classification). */
export function addSampledReads(c: Classification): void {
  if (c.tables.some((t) => SAMPLES.test(bare(t)))) addEveryTableOf(c, "*");
}

/**
 * Whether a statement of another kind than SELECT reads rows of a relation besides those it writes
 * (INSERT ... SELECT, CREATE TABLE AS, COPY ... TO, DECLARE CURSOR, an UPDATE's FROM, a subquery): it
 * then runs a SELECT too, so a rule on SELECT meets it (`copy secrets to stdout` is a read of secrets)
 * and an allow rule on SELECT alone does not cover it. `written`: the tables it writes.
 */
export function readsOthers(c: Classification, written: readonly string[]): boolean {
  if (c.kind === "SELECT" || c.runs.includes("SELECT") || !readsRows(c)) return false;
  const targets = new Set(written.map(bare));
  return c.tables.some((t) => !targets.has(bare(t)));
}

/**
 * A MySQL statement's classification (or its parse error) with the reads above: a catalog of samples
 * read as every table, and a SELECT run by a write that reads rows of a table besides the one it
 * writes (INSERT ... SELECT, a join in a multi-table UPDATE or DELETE, a PREPARE of one; CREATE TABLE
 * ... SELECT is read off its tree, mysql-linked-tables.ts). A write that names one table reads no other's. `sql`: the statement's text.
 */
export function withMysqlReads(c: Classification | { error: string }, sql: string): Classification | { error: string } {
  if ("error" in c) return c;
  if (c.tables.some((t) => SAMPLES.test(bare(t)))) {
    c = { ...c, everyTableOf: [...(c.everyTableOf ?? [])] };
    addSampledReads(c);
  }
  if (![c.kind, ...c.runs].some((k) => READING_WRITES.test(k)) || new Set(c.tables.map(bare)).size < 2) return c;
  return readsOthers(
    c,
    writtenTables(sql, "mysql").map((w) => w.table),
  )
    ? { ...c, runs: [...c.runs, "SELECT"] }
    : c;
}
const READING_WRITES = /^(?:INSERT|REPLACE|UPDATE|DELETE)$/;
