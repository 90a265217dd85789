import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { run } from "../support/run-program";
import { psqlAdmin } from "../support/pg-server";
import { RawPgClient } from "../support/raw-pg-client";
import { serialize } from "pg-protocol";

let t: TestGateway;
let key: string;
const policyFile = path.join(tmpdir(), `gatehouse-policy-${process.pid}.json`);

const jsonLines = (s: string) =>
  s
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
const table = "guarded_items";

beforeAll(async () => {
  t = await startTestGateway();
  key = await t.setupAccess({ connection: "guarded", identity: "agent-g" });
  // dblink runs SQL it is handed as text, here on the same database as the same role.
  psqlAdmin(t.target, "create extension if not exists dblink", "shop");
  await t.psql(key, "guarded", [
    "-qc",
    `drop table if exists ${table}; create table ${table} (id int primary key, name text); insert into ${table} select g, 'n' || g from generate_series(1, 10) g; drop table if exists ledger; create table ledger (id int primary key, amount int); insert into ledger values (1, 100); create schema if not exists billing; drop table if exists billing.invoices; create table billing.invoices (id int primary key, amount int); insert into billing.invoices values (1, 100); create schema if not exists vault; drop table if exists vault.keys; create table vault.keys (secret text); insert into vault.keys values ('k-7731')`,
  ]);
  writeFileSync(
    policyFile,
    JSON.stringify({
      defaultAction: "allow",
      rules: [
        { name: "no-drops", action: "deny", match: { kinds: ["DROP"] } },
        { name: "no-bulk-writes", action: "deny", match: { writesWithoutWhere: true } },
        { name: "truncate-needs-approval", action: "review", match: { kinds: ["TRUNCATE"] } },
        { name: "no-file-reads", action: "deny", match: { functions: ["pg_read_file"] } },
        { name: "no-role-changes", action: "deny", match: { sessionSettings: ["role"] } },
        { name: "no-ddl", action: "deny", match: { classes: ["ddl"] }, groups: ["analysts"] },
        { name: "ledgers-read-only", action: "deny", match: { tables: ["public.ledger", "billing.*"], classes: ["write"] } },
        { name: "vault-sealed", action: "deny", match: { tables: ["vault.*"] } },
      ],
    }),
  );
  const applied = await t.cli("policies", "apply", "guarded", "-f", policyFile);
  if (applied.code !== 0) throw new Error(applied.stderr);
  await new Promise((r) => setTimeout(r, 1500)); // the gateway picks the change up from the bus
});
afterAll(() => t?.close());

// A dblink connection string back to the target's database (the cases name it <dblink>).
const withDblink = (sql: string) => sql.replaceAll("<dblink>", `host=127.0.0.1 port=${t.target.port} dbname=shop user=app password=secret`);
const count = async () => (await t.psql(key, "guarded", ["-qAtc", `select count(*) from ${table}`])).stdout.trim();

describe("[GUARDRAILS][DENY] statements refused by the connection's policy", () => {
  it.each([
    [`drop table ${table}`, "no-drops"],
    [`DROP /* sneaky */ TABLE public.${table}`, "no-drops"],
    [`select 1; drop table ${table}`, "no-drops"],
    [`delete from ${table}`, "no-bulk-writes"],
    [`truncate ${table}`, "no-bulk-writes"],
    [`update ${table} set name = 'x' where 1 = 1`, "no-bulk-writes"],
    [`update ${table} set name = 'x' where id = 1 or 1 = 1`, "no-bulk-writes"],
    [`delete from ${table} where id = id`, "no-bulk-writes"],
    [`merge into ${table} t using (select 1 as id) s on true when matched then delete`, "no-bulk-writes"],
    [`with gone as (delete from ${table} returning *) select count(*) from gone`, "no-bulk-writes"],
    [`explain analyze delete from ${table}`, "no-bulk-writes"],
    [`prepare wipe as delete from ${table}`, "no-bulk-writes"],
    ["select pg_read_file('/etc/passwd')", "no-file-reads"],
    [`select dblink_exec('<dblink>', 'delete from ${table}')`, "no-bulk-writes"],
    [`select dblink_exec('<dblink>', $$drop table ${table}$$)`, "no-drops"],
    [`select * from dblink('<dblink>', 'delete from ${table} where ' || 'true returning id') as gone(id int)`, "no-ddl"],
    ["select set_config('role', 'postgres', false)", "no-role-changes"],
    // SQL built at run time may run anything: the first deny rule on kinds meets it.
    [`do $$ begin execute 'delete from ${table}'; end $$`, "no-drops"],
    [`create function wipe() returns void language sql as 'delete from ${table}'`, "no-ddl"],
  ])("refuses %s with 42501 naming rule %s, and nothing changes", async (sql, rule) => {
    const r = await t.psql(key, "guarded", ["-v", "VERBOSITY=verbose", "-c", withDblink(sql)]);
    expect(r.stderr).toContain("ERROR:  42501: Gatehouse denied this statement");
    expect(r.stderr).toContain(`rule "${rule}"`);
    expect(await count()).toBe("10");
  });

  it("meets schema-qualified table rules with unqualified names, as the session's search_path resolves them", async () => {
    for (const sql of [
      "update ledger set amount = 0 where id = 1",
      "set search_path = billing, public; update invoices set amount = 0 where id = 1",
      "select set_config('search_path', 'billing', false); update invoices set amount = 0 where id = 1",
    ]) {
      const r = await t.psql(key, "guarded", ["-v", "VERBOSITY=verbose", "-c", sql]);
      expect(r.stderr, sql).toContain('rule "ledgers-read-only"');
    }
    const amounts = await t.psql(key, "guarded", ["-qAtc", "select (select amount from ledger where id = 1) || ',' || (select amount from billing.invoices where id = 1)"]);
    expect(amounts.stdout.trim()).toBe("100,100");
    // Elsewhere on the path, and reads, are not the rule's.
    const read = await t.psql(key, "guarded", ["-qAtc", "set search_path = billing; select amount from invoices where id = 1"]);
    expect(read.stdout.trim()).toBe("100");
  });

  it("meets a rule on a schema's tables with the table CREATE TABLE AS and SELECT INTO create there, the table a policy or comment is on, a partition attached, a publication", async () => {
    // Someone who may run DDL (no-ddl binds analysts only): vault-sealed alone stands between them and the schema.
    const dba = await t.setupAccess({ connection: "guarded", identity: "dba-g", group: "dbas" });
    for (const sql of ["create table vault.dump as select 'x' as s", "select 'x' as s into vault.dump", "create materialized view vault.dump as select 'x' as s"]) {
      const r = await t.psql(dba, "guarded", ["-v", "VERBOSITY=verbose", "-c", sql]);
      expect(r.stderr, sql).toContain('rule "vault-sealed"');
    }
    const left = await t.psql(dba, "guarded", ["-qAtc", "select count(*) from pg_class where relnamespace = 'vault'::regnamespace and relname = 'dump'"]);
    expect(left.stdout.trim()).toBe("0");
    // Nor a row-level security policy on a sealed table (one that lets every role read it), or a comment on it.
    for (const sql of ["create policy open_all on vault.keys using (true)", "comment on table vault.keys is 'x'"]) {
      const r = await t.psql(dba, "guarded", ["-v", "VERBOSITY=verbose", "-c", sql]);
      expect(r.stderr, sql).toContain('rule "vault-sealed"');
    }
    const policies = await t.psql(dba, "guarded", ["-qAtc", "select count(*) from pg_policies where schemaname = 'vault'"]);
    expect(policies.stdout.trim()).toBe("0");
    // Nor a grant on every table of the schema.
    const granted = await t.psql(dba, "guarded", ["-v", "VERBOSITY=verbose", "-c", "grant select on all tables in schema vault to public"]);
    expect(granted.stderr).toContain('rule "vault-sealed"');
    const acl = await t.psql(dba, "guarded", ["-qAtc", "select has_table_privilege('public', 'vault.keys', 'select')"]);
    expect(acl.stdout.trim()).toBe("f");
    // Nor attaching a sealed table as a partition of an open one (its rows would read as the open table's), or publishing the schema.
    const parted = `public.parted_${process.pid}`;
    await t.psql(dba, "guarded", ["-qAtc", `create table if not exists ${parted} (secret text) partition by list (secret)`]);
    for (const sql of [
      `alter table ${parted} attach partition vault.keys for values in ('k-7731')`,
      "create publication vault_out for tables in schema vault",
      "create publication all_out for all tables",
    ]) {
      const r = await t.psql(dba, "guarded", ["-v", "VERBOSITY=verbose", "-c", sql]);
      expect(r.stderr, sql).toContain('rule "vault-sealed"');
    }
    const exposed = await t.psql(dba, "guarded", ["-qAtc", `select (select count(*) from pg_inherits where inhrelid = 'vault.keys'::regclass) + (select count(*) from pg_publication)`]);
    expect(exposed.stdout.trim()).toBe("0");
    // Elsewhere they may.
    const made = await t.psql(dba, "guarded", ["-qAtc", `create table if not exists public.ctas_${process.pid} as select 1 as n; select count(*) from public.ctas_${process.pid}`]);
    expect(made.stderr).toBe("");
    expect(made.stdout.trim()).toBe("1");
  });

  it("refuses a read of a sealed table through a built-in that runs a query given as text or reads tables named as text", async () => {
    for (const sql of [
      "select secret from vault.keys",
      "select query_to_xml('select secret from vault.keys', true, false, '')",
      "select table_to_xml('vault.keys', true, false, '')",
      "select schema_to_xml('vault', true, false, '')",
      "select database_to_xml(true, false, '')",
      "select * from ts_stat('select to_tsvector(secret) from vault.keys')",
    ]) {
      const r = await t.psql(key, "guarded", ["-v", "VERBOSITY=verbose", "-c", sql]);
      expect(r.stderr, sql).toContain("ERROR:  42501: Gatehouse denied this statement");
      expect(r.stderr, sql).toContain('rule "vault-sealed"');
      expect(r.stdout, sql).not.toContain("k-7731");
    }
    // Other schemas and queries still run through them.
    const xml = await t.psql(key, "guarded", ["-qAtc", "select query_to_xml('select amount from billing.invoices', true, false, '')"]);
    expect(xml.stdout).toContain("<amount>100</amount>");
  });

  it("refuses what does not parse (reviews have their own tests in reviews.test.ts)", async () => {
    const junk = await t.psql(key, "guarded", ["-c", "selec 1"]);
    expect(junk.stderr).toContain('Gatehouse refused a statement it could not parse: syntax error at or near "selec"');
    expect(await count()).toBe("10");
  });

  // Judging walks the parse tree recursively: these overflowed the stack and ended the session with
  // "malformed message: Maximum call stack size exceeded" (core/sql/statement-analyzer.ts).
  it("refuses a statement nested too deep to judge, or with operator runs too long to parse, saying so, and the session goes on", async () => {
    const c = new pg.Client({ host: "127.0.0.1", port: t.pgPort, database: "guarded", user: "x", password: key });
    await c.connect();
    for (const text of [`select ${"not ".repeat(3000)}true`, `select ${"(select ".repeat(1500)}1${")".repeat(1500)}`, `select ${"array[".repeat(2000)}1${"]".repeat(2000)} from ${table}`]) {
      const err = await c.query(text).then(
        () => null,
        (e: Error) => e.message,
      );
      expect(err, text.slice(0, 30)).toContain("Gatehouse refused a statement it could not parse: the statement nests more than 1000 levels deep");
    }
    // PostgreSQL's scanner rereads a run of operator characters for each token it gives back, and its grammar copies a
    // dotted SET name part by part (core/sql/scanner-cost.ts).
    for (const text of [`select ${"+".repeat(16_000)}1`, `select 1 /* ${"/*".repeat(8_000)}`, `set ${"a.".repeat(32_000)}b = 1`]) {
      const err = await c.query(text).then(
        () => null,
        (e: Error) => e.message,
      );
      expect(err, text.slice(0, 30)).toContain("Gatehouse refused a statement it could not parse: the statement holds runs of operator characters or name parts");
    }
    expect((await c.query(`select count(*)::int as n from ${table}`)).rows).toEqual([{ n: 10 }]);
    await c.end();
  });

  it("refuses a text whose multi-byte characters swallow a backslash in the session's client_encoding (SJIS here): the server would run a second statement", async () => {
    // 0x95 0x5c is one SJIS character ("表") ending in the byte of "\\": read as UTF-8 the quote after it is
    // escaped in the E'' string and the text is one SELECT; PostgreSQL converts from SJIS first and runs the DELETE.
    const script = `
import psycopg2, sys
c = psycopg2.connect(sys.argv[1], password=sys.argv[2])
c.autocommit = True
c.set_client_encoding("SJIS")
cur = c.cursor()
for q in [b"select E'\\x95\\x5c' as x; delete from ${table}; -- '", "select 'テスト' as x".encode("shift_jis")]:
    try:
        cur.execute(q)
        print("ran", cur.fetchall() if cur.description else cur.rowcount)
    except Exception as e:
        print("refused", str(e).splitlines()[0])
`;
    const r = await run("/usr/bin/python3", ["-c", script, `host=127.0.0.1 port=${t.pgPort} dbname=guarded user=x sslmode=disable`, key]);
    const [first, second] = r.stdout.trim().split("\n");
    expect(first, r.stderr).toContain("refused Gatehouse refused this text: in this session's client_encoding");
    expect(second, r.stderr).toBe("ran [('テスト',)]"); // SJIS text whose characters swallow no such byte runs
    expect(await count()).toBe("10");
  });

  it("refuses a text with a backslash while standard_conforming_strings is off: a backslash escapes the quote, and the server would run a second statement", async () => {
    const c = new pg.Client({ host: "127.0.0.1", port: t.pgPort, database: "guarded", user: "x", password: key });
    await c.connect();
    const outcome = (sql: string) =>
      c.query(sql).then(
        () => "ran",
        (e: { code?: string; message?: string }) => `${e.code} ${e.message}`,
      );
    try {
      // With the setting off, 'a\' , $$' is one string and the DROP a statement of its own; the parser reads one SELECT.
      const hidden = `select 'a\\' , $$' ; drop table ${table}; --$$`;
      expect(await outcome("select 'a\\b' as x")).toBe("ran");
      await c.query("set standard_conforming_strings = off");
      expect(await outcome(hidden)).toMatch(/^42601 Gatehouse refused this text: standard_conforming_strings is off/);
      expect(await outcome("select 'plain' as x")).toBe("ran");
      await c.query("set standard_conforming_strings = on");
      expect(await outcome("select 'a\\b' as x")).toBe("ran");
    } finally {
      await c.end();
    }
    // Pipelined behind the SET in one write, judged before the target reports the change: as if it were off already.
    const raw = await RawPgClient.connect(t.pgPort);
    try {
      await raw.login("guarded", key);
      raw.send(Buffer.concat([serialize.query("set standard_conforming_strings = off"), serialize.query(`select 'a\\' , $$' ; drop table ${table}; --$$`)]));
      expect((await raw.waitFor((m) => m.name === "error")).message).toMatch(/^Gatehouse refused this text: standard_conforming_strings/);
    } finally {
      raw.end();
    }
    expect(await count()).toBe("10");
  });

  it("refuses fast-path function calls (psql's \\lo_import uses them), and the session goes on", async () => {
    const r = await t.psql(key, "guarded", ["-c", "\\lo_import /etc/hostname", "-c", "select 'after' as s"]);
    expect(r.stderr).toContain("Gatehouse refuses fast-path function calls");
    expect(r.stdout).toContain("after");
    const objects = await t.psql(key, "guarded", ["-qAtc", "select count(*) from pg_largeobject_metadata"]);
    expect(objects.stdout.trim()).toBe("0");
  });

  it("lets harmless look-alikes through untouched", async () => {
    const r = await t.psql(key, "guarded", ["-qAtc", `select 'drop table ${table}' as a, $$delete from ${table}$$ as b`]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe(`drop table ${table}|delete from ${table}`);
    const scoped = await t.psql(key, "guarded", ["-qAtc", `delete from ${table} where id = 10 returning id`]);
    expect(scoped.stdout.trim()).toBe("10");
  });

  it("refuses in the extended protocol, keeps the session, and fails the transaction like a server error", async () => {
    const c = new pg.Client({ host: "127.0.0.1", port: t.pgPort, database: "guarded", user: "x", password: key });
    await c.connect();
    try {
      const scoped = await c.query({ text: `delete from ${table} where id = $1`, values: [9] });
      expect(scoped.rowCount).toBe(1); // has a WHERE: allowed
      const refused = await c.query({ text: `update ${table} set name = $1`, values: ["x"] }).catch((e) => e);
      expect(refused.code).toBe("42501");
      expect(refused.message).toContain('rule "no-bulk-writes"');
      await c.query("begin");
      expect((await c.query(`drop table ${table}`).catch((e) => e)).code).toBe("42501");
      expect((await c.query("select 1").catch((e) => e)).code).toBe("25P02"); // the transaction is aborted
      await c.query("rollback");
      expect((await c.query(`select count(*)::int as n from ${table}`)).rows[0].n).toBe(8);
    } finally {
      await c.end();
    }
  });

  it("records refusals in the audit as denied, with the rule", async () => {
    await t.gw.deps.audit.flush();
    const denied = jsonLines((await t.cli("audit", "list", "--json")).stdout).filter((e) => e.outcome === "denied" && e.action === "statement");
    expect(denied.find((e) => e.statement === `drop table ${table}`)).toMatchObject({ statementKind: "DROP TABLE", sqlstate: "42501", identityName: "agent-g" });
    expect(denied.length).toBeGreaterThanOrEqual(10);
  });

  it("shows the policy and refuses an invalid one", async () => {
    const shown = JSON.parse((await t.cli("policies", "show", "guarded")).stdout);
    expect(shown.rules.map((r: { name: string }) => r.name)).toEqual([
      "no-drops",
      "no-bulk-writes",
      "truncate-needs-approval",
      "no-file-reads",
      "no-role-changes",
      "no-ddl",
      "ledgers-read-only",
      "vault-sealed",
    ]);
    writeFileSync(policyFile, JSON.stringify({ rules: [{ name: "bad", action: "deny", match: { regex: "(" } }] }));
    const bad = await t.cli("policies", "apply", "guarded", "-f", policyFile);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("rules.0.match.regex: not a valid regular expression");
  });
});
