/**
 * `npm run check:mysql-corpus`: the gateway's MySQL reader over MariaDB's own test suite (Debian's
 * `mariadb-test` package, installed here when missing), a measurement, not a test (about a minute;
 * with `--server`, five more).
 *
 * 1. Every distinct statement of the suite's `.test` files (mysqltest commands, statements the suite
 *    expects to fail and texts with `$variables` left out) is read as the gateway reads it: how many
 *    it cannot read (refused under a policy), and the first words of the most common ones.
 * 2. With `--server`: each statement it reads is also run on a private mariadbd as an account whose
 *    only privileges are on a scratch database (so nothing else changes), and the server's own
 *    statement counters (`Com_*`, counted once the server has parsed the statement) are compared with
 *    the gateway's reading. Listed: each statement the server counted as a write, DDL or a privilege
 *    change that the gateway read as none of these. The server counts statements its stored code runs
 *    (a trigger's INSERT under an UPDATE) and an EXPLAIN under the explained statement's name: those
 *    show up here too and are told apart by reading them. EXPLAIN and EXECUTE are left out (CONTEXTUAL).
 */
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import mysql from "mysql2/promise";
import { analyzeMysqlUncached } from "../../core/policy/classify-mysql";
import { nonBuiltin } from "../../core/policy/mysql-routine-effects";
import { mysqlLineage } from "../../core/sql/mysql-columns";
import { mysqlSinks } from "../../core/sql/mysql-sinks";
import { startMariadb } from "../../e2e/support/mariadb-server";
import { runCmd } from "../pg/procs";

const SUITE = "/usr/share/mysql/mysql-test";
/**
 * Kinds the server counts under another statement's name: EXPLAIN (under the explained statement, which it does not run)
 * and EXECUTE (under the prepared statement, which the gateway judges from the session's PREPARE; alone here, it has none).
 */
const CONTEXTUAL = new Set(["EXPLAIN", "EXECUTE"]);
const withServer = process.argv.includes("--server");

/** mysqltest's own commands: a line that starts with one is not SQL (https://mariadb.com/kb/en/mysqltest-commands). */
const COMMANDS = new Set(
  `let eval source connect connection disconnect echo if while error sleep send reap perl exec require query_vertical replace_result replace_column
   replace_regex inc dec die exit vertical_results horizontal_results sorted_result write_file append_file cat_file remove_file file_exists
   real_sleep shutdown_server character_set change_user dirty_close lowercase_result ping query_get_value remove_files_wildcard move_file copy_file
   mkdir rmdir list_files start_timer end_timer send_quit result_format skip output send_eval query save_master_pos sync_with_master
   sync_slave_with_master system exec_in_background partially_sorted_result chmod diff_files copy_files_wildcard send_shutdown single_query`.split(/\s+/),
);

/** The SQL statements of one `.test` file, as its delimiters split them. */
function statementsOf(text: string): string[] {
  const out: string[] = [];
  let delimiter = ";";
  let buf: string[] = [];
  let skipNext = false;
  let command = false;
  let block: string | null = null;
  for (const line of text.split("\n")) {
    const s = line.trim();
    if (block) {
      if (s.startsWith(block)) block = null;
      continue;
    }
    if (!buf.length && !command) {
      if (s === "" || s.startsWith("#")) continue;
      if (s.startsWith("--")) {
        const [word, arg] = s.slice(2).trim().split(/\s+/);
        if (word === "error") skipNext = true;
        if (word === "delimiter" && arg) delimiter = arg;
        continue;
      }
      const word = s.split(/[\s(;]/, 1)[0].toLowerCase();
      if (word === "delimiter") {
        const d = s.split(/\s+/)[1] ?? ";";
        delimiter = d !== delimiter && d.endsWith(delimiter) ? d.slice(0, -delimiter.length) : d;
        continue;
      }
      if (["perl", "write_file", "append_file"].includes(word)) {
        block = "EOF";
        continue;
      }
      if (COMMANDS.has(word) || /^[{}$]/.test(word) || /^(?:disable|enable)_/.test(word)) {
        if (word === "error") skipNext = true;
        if (!s.endsWith(delimiter) && !["if", "while", "{", "}"].includes(word)) command = true;
        continue;
      }
    }
    if (command) {
      if (s.endsWith(delimiter)) command = false;
      continue;
    }
    buf.push(line);
    if (s.endsWith(delimiter)) {
      const statement = buf.join("\n").trimEnd().slice(0, -delimiter.length).trim();
      buf = [];
      if (skipNext) skipNext = false;
      else if (statement && !statement.includes("$")) out.push(statement);
    }
  }
  return out;
}

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? testFiles(p) : name.endsWith(".test") ? [p] : [];
  });
}

if (!existsSync(SUITE)) {
  console.log("installing Debian's mariadb-test (MariaDB's own test suite)...");
  await runCmd("apt-get", ["update", "-qq"], { timeoutMs: 600_000 });
  const installed = await runCmd("apt-get", ["install", "-y", "-qq", "mariadb-test"], { timeoutMs: 600_000 });
  if (installed.code !== 0) throw new Error(`installing mariadb-test failed: ${installed.stderr.slice(-500)}`);
}
const files = testFiles(SUITE);
const distinct = new Set<string>();
for (const f of files) for (const s of statementsOf(readFileSync(f, "latin1"))) if (s.length <= 20_000) distinct.add(s);
console.log(`${files.length} test files, ${distinct.size} distinct statements; reading them as the gateway does...`);

const read: Array<{ sql: string; kind: string; classes: string[] }> = [];
const unreadable = new Map<string, number>();
/** CORPUS_UNREADABLE_OUT=<file>: every statement it cannot read, one per line (newlines as \\n), to read them through. */
const unreadableOut = process.env.CORPUS_UNREADABLE_OUT;
const unreadableTexts: string[] = [];
/**
 * CORPUS_READINGS_OUT=<file>: each statement read, with what the gateway read of it (its classification, the
 * columns of its result and where it copies values), one JSON line each: two runs' files compared line by
 * line show what a change to the reader changed.
 */
const readingsOut = process.env.CORPUS_READINGS_OUT;
const readings: string[] = [];
/** Functions called that are no built-in (core/sql/mysql-builtins.ts): under a guardrail each is judged by its body in the target's catalog. */
const calls = new Map<string, number>();
let calling = 0;
for (const sql of distinct) {
  const a = analyzeMysqlUncached(sql, 101100);
  if (a.ok) {
    // A text of comments only holds no statement.
    const c = a.statements[0]?.classification;
    if (c) read.push({ sql, kind: c.kind, classes: [...new Set(a.statements.flatMap((s) => s.classification.classes))] });
    if (readingsOut) readings.push(JSON.stringify({ sql, read: a.statements.map((s) => s.classification), lineage: mysqlLineage(sql), sinks: mysqlSinks(sql) }));
    const called = new Set(a.statements.flatMap((s) => nonBuiltin(s.classification.functions)));
    if (called.size) calling++;
    for (const f of called) calls.set(f, (calls.get(f) ?? 0) + 1);
    continue;
  }
  const words = sql
    .replace(/\/\*[\s\S]*?\*\//g, " ")
    .trim()
    .split(/\s+/)
    .slice(0, 2)
    .join(" ")
    .toLowerCase();
  unreadable.set(words, (unreadable.get(words) ?? 0) + 1);
  if (unreadableOut) unreadableTexts.push(sql.replace(/\n/g, "\\n"));
}
if (readingsOut) writeFileSync(readingsOut, `${readings.join("\n")}\n`);
if (unreadableOut) writeFileSync(unreadableOut, `${unreadableTexts.join("\n")}\n`);
const refused = distinct.size - read.length;
console.log(`unreadable (refused under a policy): ${refused} of ${distinct.size} (${((100 * refused) / distinct.size).toFixed(1)}%)`);
console.log("most common first words of those:");
for (const [w, n] of [...unreadable].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${String(n).padStart(6)}  ${w}`);

console.log(
  `calling a function that is no built-in (judged by its body from the target's catalog; the suite's own stored functions among them): ${calling} statements, ${calls.size} names; most common:`,
);
console.log(
  `  ${[...calls]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([f, n]) => `${f} ${n}`)
    .join(", ")}`,
);

if (withServer) await compareWithServer();

async function compareWithServer(): Promise<void> {
  const db = await startMariadb();
  try {
    await db.admin("create database scratch; create user probe@'%' identified by 'probe'; grant all on scratch.* to probe@'%';");
    const open = async () => {
      // A statement of the suite may change the account's own password or drop its database: both are put back.
      await db.admin("alter user probe@'%' identified by 'probe'; create database if not exists scratch;");
      const c = await mysql.createConnection({ host: "127.0.0.1", port: db.port, user: "probe", password: "probe", database: "scratch" });
      await c.query("set session max_statement_time = 1");
      return c;
    };
    const counters = async (c: mysql.Connection) => {
      // Not SHOW STATUS: a statement of the suite may set sql_select_limit, which cuts SHOW's rows too.
      const [rows] = await c.query<mysql.RowDataPacket[]>("select variable_name as n, variable_value as v from information_schema.session_status where variable_name like 'COM\\_%' limit 100000");
      return new Map(rows.map((r) => [String(r.n).toLowerCase(), Number(r.v)]));
    };
    const need = (com: string): string | null =>
      /^com_(?:insert|insert_select|update|update_multi|delete|delete_multi|replace|replace_select|load|truncate)$/.test(com)
        ? "write"
        : /^com_(?:grant|revoke|revoke_all|revoke_grant|grant_role|revoke_role|(?:create|drop|rename|alter)_(?:user|role))$/.test(com)
          ? "privileges"
          : /^com_(?:create|drop|alter)_|^com_rename_table$/.test(com)
            ? "ddl"
            : null;
    const misread: string[] = [];
    let ran = 0;
    let c = await open();
    for (const r of read) {
      try {
        const before = await counters(c);
        const timedOut = await Promise.race([
          c.query(r.sql).then(
            () => false,
            () => false,
          ),
          new Promise<boolean>((res) => setTimeout(() => res(true), 3000)),
        ]);
        if (timedOut) throw new Error("timed out");
        // The statement may have set the client's character set, which the counters' query is then read in.
        await c.query("set names utf8mb4");
        const after = await counters(c);
        ran++;
        for (const [com, n] of after) {
          const wanted = n > (before.get(com) ?? 0) ? need(com) : null;
          if (wanted && !r.classes.includes(wanted) && !r.classes.includes("anonymous-code") && !CONTEXTUAL.has(r.kind))
            misread.push(`${com} counted, read as ${r.kind} [${r.classes.join(", ")}]: ${r.sql.slice(0, 160).replace(/\s+/g, " ")}`);
        }
        if (ran % 20_000 === 0) console.log(`  ${ran} run...`);
      } catch {
        await db.admin(`kill ${c.threadId}`).catch(() => "");
        c.destroy();
        c = await open();
      }
    }
    c.destroy();
    console.log(`run on MariaDB ${db.version}: ${ran}; counted by the server as a write, DDL or privilege change and read as none: ${misread.length}`);
    for (const m of misread.slice(0, 200)) console.log(`  ${m}`);
  } finally {
    await db.stop();
  }
}
