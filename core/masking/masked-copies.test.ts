import { beforeAll, describe, expect, it } from "vitest";
import { compileForGroups } from "./compile-rules";
import { maskingRulesSchema } from "./masking-rules";
import { copiesMaskedColumns } from "./masked-copies";
import { writtenTables } from "../sql/written-tables";
import { loadSqlParser, StatementAnalyzer } from "../sql/statement-analyzer";

beforeAll(() => loadSqlParser());
const analyzer = new StatementAnalyzer();
const masking = compileForGroups(maskingRulesSchema.parse({ columns: [{ column: "customers.email" }, { column: "customers.name" }, { column: "vault.keys.secret" }] }), [])!;
const copied = (sql: string) => {
  const a = analyzer.analyze(sql);
  if (!a.ok) throw new Error(a.error);
  return a.statements.map((s) => copiesMaskedColumns(s.tree, masking)).find((c) => c !== null)?.column ?? null;
};

describe("[MASKING][COPIES] statements that would move masked values where masking does not follow them", () => {
  it.each([
    ["create temp table t as select name from customers", "name"],
    ["create table t (n) as select upper(c.email) from customers c", "customers.email"],
    ["select email into temp t from customers", "email"],
    ["insert into log (who) select name from customers", "name"],
    ["insert into log select * from customers", "*"],
    ["insert into log (who) values ((select email from customers limit 1))", "email"],
    ["with x as (select name from customers) insert into log select * from x", "*"],
    ["with gone as (insert into log (who) select name from customers returning 1) select count(*) from gone", "name"],
    ["update customers set note = name", "name"],
    ["update orders o set who = c.email from customers c where c.id = o.customer_id", "customers.email"],
    ["select set_config('app.v', name, false) from customers", "name"],
    ["select pg_catalog.set_config('app.v', (select email from customers limit 1), false)", "email"],
    ["select pg_notify('ch', email) from customers", "email"],
    ["alter table customers rename to c2", "customers"],
    ["alter table customers rename column email to e", "customers.email"],
    ["alter schema vault rename to v2", "schema vault"],
    ["do $$ begin perform set_config('a.b', (select name from public.customers limit 1), false); end $$", "public.customers"],
    ["alter table vault.keys set schema public", "vault.keys"],
    ["alter table vault.keys rename to keys_old", "vault.keys"],
    ["create function pg_temp.cp() returns void language sql as 'insert into log (who) select name from customers'", "customers"],
    ["create function cp() returns void language plpgsql as $$ begin execute 'insert into log select email from customers'; end $$", "customers"],
    ["create function cp() returns void begin atomic insert into log (who) select name from customers; end", "name"],
    ["alter table customers add column gx text generated always as (name || '') stored", "name"],
    ["create trigger tg before update on customers for each row execute function f()", "customers"],
    ["create rule rr as on update to customers do also insert into rlog values (new.name)", "customers"],
    ["create function tf() returns trigger language plpgsql as $$ begin new.n := (select max(name) from customers); return new; end $$", "customers"],
    ["copy (select name from customers) to '/tmp/names.txt'", "name"],
    ["insert into log (who) select query_to_xml('select 1', true, false, '')::text", "query_to_xml()"],
    ["create table t as select pg_catalog.table_to_xml('orders', true, false, '') as x", "pg_catalog.table_to_xml()"],
    ["do $$ begin execute 'insert into log select * from cust' || 'omers'; end $$", "EXECUTE"],
    ["create function cp2() returns void language plpgsql as $$ begin execute format('insert into log select * from %I', 'x'); end $$", "EXECUTE"],
    ["select lo_from_bytea(0, convert_to(name, 'UTF8')) from customers", "name"],
    ["select setval('s', length(name)) from customers", "name"],
    ["select dblink_exec('host=elsewhere', format('insert into t values (%L)', email)) from customers", "email"],
    ["copy customers to '/tmp/customers.csv' with (format csv)", "customers.*"],
    ["copy customers (id, email) to program 'cat > /tmp/e'", "customers.email"],
  ])("refuses %s (it copies %s)", (sql, column) => expect(copied(sql)).toBe(column));

  it.each([
    "select name, email from customers",
    "insert into customers (id, name) select 9, name from customers where id = 1",
    "update customers set email = lower(email)",
    "create table t as select id from customers where name like 'A%'",
    "insert into log (id) select id from customers",
    "select set_config('app.v', 'x', false)",
    "select pg_notify('ch', 'done')",
    "alter table orders rename to orders_old",
    "alter table customers rename column note to remark",
    "do $$ begin perform 1; end $$",
    "create function pg_temp.f() returns text language sql as 'select name from customers limit 1'",
    "create function pg_temp.g() returns void language sql as 'insert into log (id) select id from orders'",
    "alter table customers set schema archive",
    "alter table customers add column gy text generated always as (upper(note)) stored",
    "create trigger tg before update on orders for each row execute function f()",
    "create function tf() returns trigger language plpgsql as $$ begin new.at := now(); return new; end $$",
    "create function tf() returns trigger language plpgsql as $$ begin new.n := (select max(id) from orders); return new; end $$",
    "alter table vault.keys rename column note to remark",
    "copy (select name from customers) to stdout",
    "copy customers (id, note) to '/tmp/ids.txt'",
    "copy orders to '/tmp/orders.txt'",
    "copy customers from '/tmp/in.txt'",
  ])("lets %s through", (sql) => expect(copied(sql)).toBeNull());

  it("refuses every DO block when a rule covers columns of every table (the body may reach one through search_path)", () => {
    const everywhere = compileForGroups(maskingRulesSchema.parse({ columns: [{ column: "*.ssn" }] }), [])!;
    const a = analyzer.analyze("do $$ begin perform 1; end $$");
    if (!a.ok) throw new Error(a.error);
    expect(copiesMaskedColumns(a.statements[0].tree, everywhere)?.reason).toContain("columns of every table (*.ssn)");
  });

  it("a read of a view counts as masked where the caller's catalog says the view reaches a masked column", () => {
    const a = analyzer.analyze("insert into log (who, id) select shout, id from contacts; do $$ begin insert into log select * from contacts; end $$; insert into log (id) select id from contacts");
    if (!a.ok) throw new Error(a.error);
    // contacts.shout is upper(customers.name); contacts.id is customers.id.
    const throughView = (r: { table: string | null; column: string }) => r.table === "contacts" || (r.table === null && r.column === "shout");
    const [insert, block, ids] = a.statements.map((s) => copiesMaskedColumns(s.tree, masking, { throughView }));
    expect(insert?.reason).toContain("it copies shout, which masking protects, into log.who");
    expect(block?.reason).toContain("masking protects contacts, which the block names");
    expect(ids).toBeNull();
    expect(copied("insert into log (who, id) select shout, id from contacts")).toBeNull(); // without the catalog, no rule names contacts
  });

  it("what a function masking cannot see into returns counts as masked where it is copied (the caller's catalog says which)", () => {
    const a = analyzer.analyze("insert into log (who) select f(id) from orders; update log set who = f(1); select set_config('a.b', f(2), false); insert into log (at) select now()");
    if (!a.ok) throw new Error(a.error);
    const opaqueCall = (fn: string) => fn === "f";
    expect(a.statements.map((s) => copiesMaskedColumns(s.tree, masking, { opaqueCall })?.column ?? null)).toEqual(["f()", "f()", "f()", null]);
    expect(a.statements.map((s) => copiesMaskedColumns(s.tree, masking)).every((c) => c === null)).toBe(true);
  });

  it("a call of a routine that already exists is judged by the code it runs, as its creation would be", () => {
    const code: Record<string, string[] | null> = {
      exec_sql: ["begin execute q; end"],
      archive: ["insert into log (who) select name from customers"],
      stash: ["select set_config('x.n', (select email from customers limit 1), false)"],
      reader: ["select name from customers limit 1"],
      touch: ["update orders set at = now()"],
      hidden: null,
    };
    const calledCode = (fn: string) => {
      const name = fn.split(".").at(-1)!;
      return name in code ? code[name] : [];
    };
    const a = analyzer.analyze(
      "select exec_sql('insert into t select 1'); call archive(); select public.stash(); select 1 where hidden() is null; select reader(); select touch(); select count(*) from orders",
    );
    if (!a.ok) throw new Error(a.error);
    expect(a.statements.map((s) => copiesMaskedColumns(s.tree, masking, { calledCode })?.reason ?? null)).toEqual([
      "it calls exec_sql(), whose code builds SQL at run time: masking cannot see what that SQL reads or where it puts the values",
      "it calls archive(), whose code names customers, which masking protects, and writes or runs SQL: masking cannot follow what it does with the values",
      "it calls stash(), whose code names customers, which masking protects, and writes or runs SQL: masking cannot follow what it does with the values",
      "it calls hidden(), whose code Gatehouse could not read (or calls routines too deep to follow): masking cannot tell where it puts the values it reads",
      null,
      null,
      null,
    ]);
  });

  it("a write is judged by the triggers and rules of its table: on a covered table any that writes when it sees existing rows; elsewhere one that names a covered table", () => {
    // By table, what its triggers run on update and delete (u) and on insert (i).
    const hooks: Record<string, { u: string[]; i: string[] } | null> = {
      customers: { u: ["begin if tg_op = 'UPDATE' then insert into log values (row_to_json(old)::text); end if; return new; end"], i: [] },
      orders: { u: [], i: ["begin insert into log select name from customers where id = new.customer_id; return new; end"] },
      stamped: { u: ["begin new.at := now(); return new; end"], i: [] },
      hidden: null,
    };
    const writeHooks = (table: string, events: string[]) => {
      const h = hooks[table.split(".").at(-1)!];
      if (h === null) return null;
      return [...(events.includes("insert") ? (h?.i ?? []) : []), ...(events.some((e) => e !== "insert") ? (h?.u ?? []) : [])];
    };
    const a = analyzer.analyze(
      "update customers set note = 'x'; delete from customers where id = 1; insert into customers (id) values (3) on conflict (id) do update set note = 'y'; insert into customers (id) values (4); insert into orders values (1); update orders set v = 1; update stamped set v = 1; delete from hidden",
    );
    if (!a.ok) throw new Error(a.error);
    expect(a.statements.map((s) => copiesMaskedColumns(s.tree, masking, { writeHooks })?.column ?? null)).toEqual(["customers", "customers", "customers", null, "customers", null, null, "hidden"]);
    // What a called routine's body writes fires those tables' triggers too.
    const calledCode = (fn: string) => (fn === "touch_all" ? ["update stamped set v = 1; insert into public.orders values (1)"] : []);
    const called = analyzer.analyze("select touch_all()");
    if (!called.ok) throw new Error(called.error);
    expect(copiesMaskedColumns(called.statements[0].tree, masking, { writeHooks, calledCode })?.reason).toMatch(
      /^it calls touch_all\(\), which writes public\.orders, and a trigger or rule on it names customers/,
    );
  });

  it("a write into a table whose column default or generated value is computed by code naming a covered table is refused, unless that column is covered too", () => {
    const computedColumns = (table: string) =>
      table === "stamps" ? [{ column: "n", code: ["select name from customers limit 1"] }] : table === "customers" ? [{ column: "email", code: ["select email from customers limit 1"] }] : [];
    const a = analyzer.analyze("insert into stamps (id) values (1); update stamps set n = default; delete from stamps; insert into customers (id) values (5); insert into orders (id) values (1)");
    if (!a.ok) throw new Error(a.error);
    expect(a.statements.map((s) => copiesMaskedColumns(s.tree, masking, { computedColumns })?.column ?? null)).toEqual(["stamps.n", "stamps.n", null, null, null]);
  });

  it("a covered column given to a routine whose code writes, runs SQL or keeps a value is refused; given to one that only computes, it is not", () => {
    const code: Record<string, string[]> = { log_value: ["begin insert into app_log values (v); end"], shout: ["select upper($1)"] };
    const calledCode = (fn: string) => code[fn] ?? [];
    const a = analyzer.analyze(
      "select log_value(name) from customers; select log_value(id::text) from customers; select shout(email) from customers; call log_value((select email from customers limit 1))",
    );
    if (!a.ok) throw new Error(a.error);
    expect(a.statements.map((s) => copiesMaskedColumns(s.tree, masking, { calledCode })?.reason ?? null)).toEqual([
      "it passes name, which masking protects, to log_value(), whose code writes, runs SQL or keeps a value: masking cannot follow where it puts it",
      null,
      null,
      "it passes email, which masking protects, to log_value(), whose code writes, runs SQL or keeps a value: masking cannot follow where it puts it",
    ]);
  });

  it("reads the tables a routine's body writes from its words", () => {
    expect(
      writtenTables(
        "insert into log (a) values (1); update only public.t x set a = 1; delete from d where true; merge into m using s on true when matched then delete; select 1 for update; insert into u values (1) on conflict (id) do update set a = 2",
      ),
    ).toEqual([
      { table: "log", events: ["insert", "update"] },
      { table: "u", events: ["insert", "update"] },
      { table: "public.t", events: ["update"] },
      { table: "d", events: ["delete"] },
      { table: "m", events: ["insert", "update", "delete"] },
    ]);
    // Each table once, with every kind of write it gets; MySQL's words (REPLACE, IGNORE, an optional INTO, backticks) in its dialect.
    expect(writtenTables("insert into log values (1); delete from log where id = 1; insert into LOG values (2)")).toEqual([{ table: "log", events: ["insert", "delete"] }]);
    expect(writtenTables("insert ignore `shop`.`log` values (1); replace into r values (2); update ignore u x set a = 1; delete from d; insert into log values (3)", "mysql")).toEqual([
      { table: "shop.log", events: ["insert"] },
      { table: "log", events: ["insert"] },
      { table: "r", events: ["insert", "delete"] },
      { table: "u", events: ["update"] },
      { table: "d", events: ["delete"] },
    ]);
  });
});
