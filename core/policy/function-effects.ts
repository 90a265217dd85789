import { parseSync } from "libpg-query";
import { addEveryTableOf } from "./every-table";
import { kindOf } from "../sql/statement-analyzer";
import { mergeInto } from "./merge-classification";
import type { Classification, StatementClass } from "./classify-statement";

type Node = Record<string, unknown>;

/**
 * Functions that run SQL handed to them as text: dblink's on another connection (often the same
 * database: `dblink_exec('dbname=shop', 'drop table customers')`), pg_cron's when the job comes due,
 * pg_background's in a background worker.
 * What that text runs is what the call does, so it is classified into the calling statement.
 */
const RUNS_SQL_TEXT = new Set([
  "dblink",
  "dblink_exec",
  "dblink_send_query",
  "dblink_open",
  "cron.schedule",
  "cron.schedule_in_database",
  "cron.alter_job",
  "pg_background_launch",
  "pg_background_run",
  // Built-ins: a query to XML, to word statistics (ts_stat), or ts_rewrite's rewrite rules (its second argument).
  "query_to_xml",
  "query_to_xmlschema",
  "query_to_xml_and_xmlschema",
  "ts_stat",
  "ts_rewrite",
]);
/**
 * Functions that read the table their first argument names as text: `table_to_xml('secrets', ...)`
 * and its kin, and pageinspect's `get_raw_page('secrets', 0)` (the table's rows as stored, bytes and all).
 */
const READS_NAMED_TABLE = new Set(["table_to_xml", "table_to_xmlschema", "table_to_xml_and_xmlschema", "get_raw_page"]);
/** Built-ins that read every table of the schema their first argument names, or of the database. */
const READS_SCHEMA = new Set(["schema_to_xml", "schema_to_xmlschema", "schema_to_xml_and_xmlschema"]);
const READS_DATABASE = new Set(["database_to_xml", "database_to_xmlschema", "database_to_xml_and_xmlschema"]);
/**
 * Built-ins that read or write files on the database server (the server's own, with its rights):
 * judged as COPY to or from a server file is (`copiesServerFile`). lo_import reads one into a large
 * object, lo_export writes one; adminpack's pg_file_* write, rename and delete them.
 */
const SERVER_FILES = new Set([
  "pg_read_file",
  "pg_read_binary_file",
  "pg_ls_dir",
  "pg_stat_file",
  "pg_ls_logdir",
  "pg_ls_waldir",
  "pg_ls_tmpdir",
  "pg_ls_archive_statusdir",
  "pg_ls_logicalmapdir",
  "pg_ls_logicalsnapdir",
  "pg_ls_replslotdir",
  "lo_import",
  "lo_export",
  "pg_file_write",
  "pg_file_rename",
  "pg_file_unlink",
]);
/**
 * Built-ins that change the database although a SELECT calls them (PostgreSQL refuses each in a
 * read-only transaction): a sequence advanced or set (the sequence, named by a literal, is the
 * table they write), a large object created, written or removed, a server file written.
 */
const SEQUENCE_WRITES = new Set(["nextval", "setval"]);
const WRITES = new Set([
  ...SEQUENCE_WRITES,
  "lo_import",
  "lo_create",
  "lo_creat",
  "lo_unlink",
  "lo_from_bytea",
  "lo_put",
  "lowrite",
  "lo_truncate",
  "lo_truncate64",
  "pg_file_write",
  "pg_file_rename",
  "pg_file_unlink",
]);
/** `set_config(name, value, is_local)` is `SET name = value`. */
const SETS_SETTING = new Set(["set_config", "pg_catalog.set_config"]);

/** Whether a call's effects are read here (from its arguments) rather than from a body in the target's catalog. */
export const hasKnownEffects = (fn: string): boolean => {
  const bare = fn.replace(/^(public|pg_catalog)\./, "");
  return SETS_SETTING.has(fn) || RUNS_SQL_TEXT.has(bare) || READS_NAMED_TABLE.has(bare) || READS_SCHEMA.has(bare) || READS_DATABASE.has(bare);
};

/** SET SESSION AUTHORIZATION changes the role too (and more): a rule on `role` meets it. */
export const settingNames = (name: string): string[] => (name.toLowerCase() === "session_authorization" ? ["session_authorization", "role"] : [name.toLowerCase()]);

/** A setting named by an expression the gateway cannot read: it may be any (matches deny and review rules on settings). */
export const ANY_SETTING = "*";

/**
 * What a function call does besides returning a value, added to the statement's classification
 * (`classify` classifies a statement it runs). dblink and pg_cron calls run each string argument
 * that parses as SQL; when one is built at run time, or none parses, the call runs code the gateway
 * cannot see (the anonymous-code class, as DO). A set_config call is a SET of its setting.
 */
export function functionEffects(fn: string, call: Node, c: Classification, classes: Set<StatementClass>, classify: (kind: string, node: string, tree: Node) => Classification): void {
  const args = ((call.args as Node[] | undefined) ?? []).map(unwrap);
  const bare = fn.replace(/^(public|pg_catalog)\./, "");
  if (SERVER_FILES.has(bare)) c.copiesServerFile = true;
  if (WRITES.has(bare)) {
    classes.add("write");
    const sequence = SEQUENCE_WRITES.has(bare) ? stringValue(args[0]) : undefined;
    const name = sequence && (/^[\w.$]+$/.test(sequence) ? sequence.toLowerCase() : sequence.replaceAll('"', ""));
    if (name && !c.tables.includes(name)) c.tables.push(name);
  }
  if (SETS_SETTING.has(fn)) {
    classes.add("session");
    if (!c.runs.includes("SET")) c.runs.push("SET");
    const name = stringValue(args[0]);
    for (const setting of name === undefined ? [ANY_SETTING] : settingNames(name)) if (!c.sessionSettings.includes(setting)) c.sessionSettings.push(setting);
    return;
  }
  if (READS_SCHEMA.has(bare) || READS_DATABASE.has(bare)) {
    const schema = READS_SCHEMA.has(bare) ? stringValue(args[0]) : undefined;
    addEveryTableOf(c, schema ?? "*");
    return;
  }
  if (READS_NAMED_TABLE.has(bare)) {
    // The name as a relation is read: `TABLE <name>` (anything else in the text makes it not one statement).
    const name = stringValue(args[0]);
    const stmts = name === undefined ? [] : parseQuietly(`TABLE ${name}`);
    if (stmts.length !== 1) return void classes.add("anonymous-code");
    const node = Object.keys(stmts[0].stmt)[0];
    const inner = classify(kindOf(node, stmts[0].stmt[node] as Node), node, stmts[0].stmt);
    for (const t of inner.tables) if (!c.tables.includes(t)) c.tables.push(t);
    return;
  }
  // ts_rewrite(query, target, substitute) rewrites by tsqueries given: only its two-argument form runs SQL.
  if (!RUNS_SQL_TEXT.has(bare) || (bare === "ts_rewrite" && args.length !== 2)) return;
  let parsed = 0;
  let opaque = false;
  for (const a of args) {
    const text = stringValue(a);
    if (text === undefined) {
      if (!isPlainConstant(a)) opaque = true;
      continue;
    }
    // Not SQL: a connection string, a job name, a schedule, ts_stat's weights.
    for (const { stmt } of parseQuietly(text)) {
      const node = Object.keys(stmt)[0];
      const kind = kindOf(node, stmt[node] as Node);
      const inner = classify(kind, node, stmt);
      parsed++;
      mergeInto(c, inner, (k) => classes.add(k));
    }
  }
  if (opaque || parsed === 0) classes.add("anonymous-code");
}

/** The statements of a text, or none when it does not parse as SQL. */
function parseQuietly(text: string): { stmt: Node }[] {
  try {
    return ((parseSync(text) as { stmts?: { stmt: Node }[] }).stmts ?? []) as { stmt: Node }[];
  } catch {
    return [];
  }
}

/** `name => value` and `'x'::text` are their value. */
function unwrap(a: Node): Node {
  let n = a;
  for (;;) {
    const named = n.NamedArgExpr as Node | undefined;
    const cast = n.TypeCast as Node | undefined;
    if (named?.arg) n = named.arg as Node;
    else if (cast?.arg) n = cast.arg as Node;
    else return n;
  }
}

const stringValue = (a: Node | undefined): string | undefined =>
  ((a?.A_Const as Node | undefined)?.sval as { sval?: string } | undefined)?.sval ?? ((a?.A_Const as Node | undefined)?.sval ? "" : undefined);

/** A boolean, number or NULL written in the text (dblink's fail_on_error, pg_cron's active). */
const isPlainConstant = (a: Node): boolean => a.A_Const !== undefined;
