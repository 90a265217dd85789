import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { startMaskedGateway, leaksIn, type MaskedSetup } from "./support/masked-gateway";

let s: MaskedSetup;
beforeAll(async () => {
  s = await startMaskedGateway("routines");
  // Routines the target's owner made, not through the gateway (which refuses creating the copying ones).
  const admin = new pg.Client({ connectionString: s.directUrl });
  await admin.connect();
  try {
    await admin.query(`
      create function exec_sql(q text) returns void language plpgsql as $$ begin execute q; end $$;
      create procedure proc_exec(q text) language plpgsql as $$ begin execute q; end $$;
      create function run_it(q text) returns void language sql as $$ select exec_sql(q) $$;
      create table name_archive (v text);
      create function archive_names() returns void language plpgsql as $$ begin insert into name_archive select name from customers; end $$;
      create function stash_name() returns void language plpgsql as $$ begin perform set_config('x.n', (select name from customers order by id limit 1), false); end $$;
      create function first_name() returns text language sql as $$ select name from customers order by id limit 1 $$;
      create table tallies (id int primary key, n int);
      create function add_tally(i int) returns int language plpgsql as $$
        begin if (i > 0) then insert into tallies values (i, 10) on conflict (id) do nothing; end if; return coalesce(i, 0); end $$;
      create function add_order(i int) returns int language sql as $$ insert into orders values (i, 1, 10) returning id $$;
      -- An application's audit trigger and rule on the covered table, and a trigger on another table that reads it.
      create table cust_log (j text);
      create function log_customer() returns trigger language plpgsql as $$
        begin if tg_op = 'UPDATE' then insert into cust_log values (row_to_json(old)::text); end if; return new; end $$;
      create trigger customers_log after update on customers for each row execute function log_customer();
      create rule customers_keep as on delete to customers do also insert into cust_log values (old.name);
      create function order_owner() returns trigger language plpgsql as $$
        begin insert into cust_log select name from customers where id = new.customer_id; return new; end $$;
      create trigger orders_owner after insert on orders for each row when (new.id > 100) execute function order_owner();
      -- Column values the owner's code computes: a default and a generated column that read the covered table, and harmless ones.
      create table stamps (id int, n text default first_name());
      create function fname_imm(i int) returns text language sql immutable as $$ select name from customers order by id limit 1 $$;
      create table gens (id int, g text generated always as (fname_imm(id)) stored);
      create table notes (id serial, at timestamptz default now(), v text);
      -- Routines given a covered value, which they write somewhere: a function, an aggregate's state function.
      create table app_log (v text);
      create function log_value(v text) returns void language plpgsql as $$ begin insert into app_log values (v); end $$;
      create function copy_sfunc(st text, v text) returns text language plpgsql as $$ begin insert into app_log values (v); return v; end $$;
      create aggregate copy_agg(text) (sfunc = copy_sfunc, stype = text);
      -- A trigger that writes a table whose own trigger copies the covered table.
      create table relay_in (id int);
      create table relay_out (id int);
      create function relay_on() returns trigger language plpgsql as $$ begin insert into relay_out values (new.id); return new; end $$;
      create trigger relay_in_t after insert on relay_in for each row execute function relay_on();
      create function relay_copy() returns trigger language plpgsql as $$ begin insert into cust_log select name from customers; return new; end $$;
      create trigger relay_out_t after insert on relay_out for each row execute function relay_copy();
      create function touch_total() returns trigger language plpgsql as $$ begin new.total := coalesce(new.total, 0); return new; end $$;
      create trigger orders_touch before update on orders for each row execute function touch_total();
    `);
  } finally {
    await admin.end();
  }
}, 120_000);
afterAll(() => s?.close());

describe("[MASKING][PSQL] a routine, trigger or rule that already exists on the target is judged by the code it runs", () => {
  it.each([
    ["create temp table t1 (v text); select exec_sql('insert into t1 select name from customers'); select * from t1", "it calls exec_sql(), whose code builds SQL at run time"],
    ["create temp table t2 (v text); call proc_exec('insert into t2 select name from customers'); select * from t2", "it calls proc_exec(), whose code builds SQL at run time"],
    // A wrapper whose own body shows nothing: the routine it calls does.
    ["create temp table t3 (v text); select run_it('insert into t3 select name from customers'); select * from t3", "it calls run_it(), whose code builds SQL at run time"],
    ["select archive_names(); select * from name_archive", "it calls archive_names(), whose code names customers, which masking protects, and writes or runs SQL"],
    ["select stash_name(); select current_setting('x.n')", "it calls stash_name(), whose code names customers, which masking protects, and writes or runs SQL"],
    // Writes that fire the owner's triggers and rules, which see the rows and copy them.
    ["update customers set id = id where id = 1; select j from cust_log", "it writes customers, whose columns masking protects, and a trigger or rule on it writes"],
    ["delete from customers where id = 999; select j from cust_log", "it writes customers, whose columns masking protects, and a trigger or rule on it writes"],
    ["insert into orders values (101, 1, 5); select j from cust_log", "it writes orders, and a trigger or rule on it names customers, which masking protects"],
    // A default or a generated column computed from the covered table.
    ["insert into stamps (id) values (1); select n from stamps", "it writes stamps, whose column n is computed (its default or generated value) by code that names customers"],
    ["update stamps set n = default; select n from stamps", "it writes stamps, whose column n is computed"],
    ["insert into gens (id) values (1); select g from gens", "it writes gens, whose column g is computed (its default or generated value) by code that names customers"],
    ["insert into relay_in values (1); select j from cust_log", "it writes relay_in, whose trigger or rule writes relay_out, and a trigger or rule on it names customers"],
    // A covered value given to a routine (or an aggregate) that writes what it is given.
    ["select log_value(name) from customers; select v from app_log", "it passes name, which masking protects, to log_value(), whose code writes"],
    ["select copy_agg(name) from customers; select v from app_log", "it passes name, which masking protects, to copy_agg(), whose code writes"],
    // A routine's body writes a table whose trigger copies.
    ["select add_order(102); select j from cust_log", "it calls add_order(), which writes orders, and a trigger or rule on it names customers, which masking protects"],
  ])("refuses %s", async (sql, said) => {
    s.proxy.reset();
    const r = await s.psql(s.key, sql, ["-v", "VERBOSITY=verbose"]);
    expect(r.stderr).toContain("ERROR:  42501: Gatehouse refused this statement: " + said);
    expect(r.stderr).toContain("HINT:  That code is the database owner's. Run what it does yourself");
    expect(leaksIn(r.stdout + r.stderr)).toEqual([]);
    expect(leaksIn(s.proxy.received())).toEqual([]);
  });

  it("runs routines whose code copies nothing: one that only reads (its result is masked), one that writes tables no rule covers, built-ins", async () => {
    s.proxy.reset();
    // What a user-defined function computes is masked whole (null for a number); the order it wrote is there.
    // A write whose trigger copies nothing (orders' touch_total).
    const r = await s.psql(
      s.key,
      "select first_name() as f; select add_tally(7) as a; select id from tallies where id = 7; select count(*) as n, upper('x') as u from customers; update orders set total = 2 where id = 10; insert into notes (v) values ('x'); select count(*) from cust_log;",
      ["-A", "-t", "-q"],
    );
    expect(r.stderr).toBe("");
    expect(r.stdout.trim().split("\n")).toEqual(["[REDACTED]", "", "7", "2|X", "0"]);
    expect(leaksIn(s.proxy.received())).toEqual([]);
  });
});
