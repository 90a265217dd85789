import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { psqlAdmin } from "../support/pg-server";

// A read-only guardrail against SELECTs that write through the target owner's functions, on the run's
// private PostgreSQL with psql and node-postgres: the table is the judge of whether a write slipped past.
let t: TestGateway;
let key: string;
const table = `routine_rows_${process.pid}`;
const fn = (name: string) => `${name}_${process.pid}`;
const policyFile = path.join(tmpdir(), `gatehouse-routines-policy-${process.pid}.json`);

beforeAll(async () => {
  t = await startTestGateway();
  key = await t.setupAccess({ connection: "routined", identity: "routine-agent" });
  const made = await t.psql(key, "routined", [
    "-v",
    "ON_ERROR_STOP=1",
    "-qc",
    `create table ${table} (id int primary key, name text); insert into ${table} select g, 'n' || g from generate_series(1, 5) g; create sequence ${table}_seq;
     create function ${fn("erase_row")}(p int) returns int language sql as $$ delete from ${table} where id = p; select 1 $$;
     create function ${fn("wrapped")}(p int) returns int language sql as $$ select ${fn("erase_row")}(p) $$;
     create function ${fn("rename_first")}(p int) returns int language plpgsql as $$
       declare n int := 0;
       begin
         while n < 3 loop n := n + 1; end loop;
         if n > 2 then update ${table} set name = 'renamed' where id = p; end if;
         return n;
       end $$;
     create function ${fn("built_at_run_time")}(p int) returns int language plpgsql as $$ begin execute 'delete from ${table} where id = ' || p; return 1; end $$;
     create function ${fn("standard_body")}(p int) returns int language sql begin atomic delete from ${table} where id = p; select 1; end;
     create function ${fn("count_rows")}() returns bigint language sql stable as $$ select count(*) from ${table} $$;
     create function ${fn("peek")}(out v text) language plpgsql as $$ begin v := (select name from ${table} where id = 1); end $$;`,
  ]);
  if (made.code !== 0) throw new Error(made.stderr);
  writeFileSync(policyFile, JSON.stringify({ defaultAction: "allow", rules: [{ name: "read-only", action: "deny", match: { classes: ["write", "ddl", "privileges"] } }] }));
  const applied = await t.cli("policies", "apply", "routined", "-f", policyFile);
  if (applied.code !== 0) throw new Error(applied.stderr);
  await new Promise((r) => setTimeout(r, 1500)); // the gateway picks the change up from the bus
});
afterAll(() => t?.close());

const rows = async () => (await t.psql(key, "routined", ["-qAtc", `select string_agg(id || ':' || name, ',' order by id) from ${table}`])).stdout.trim();

describe("[GUARDRAILS][ROUTINES] a statement is judged with what the functions it calls run", () => {
  it("refuses a SELECT whose function writes (SQL, through another function, PL/pgSQL under a condition, a SQL-standard body) or runs SQL built at run time; reads run", async () => {
    const before = await rows();
    expect(before).toBe("1:n1,2:n2,3:n3,4:n4,5:n5");
    for (const [sql, says] of [
      [`select ${fn("erase_row")}(1)`, `it calls ${fn("erase_row")}, a stored function whose body runs DELETE (tables ${table})`],
      [`select id from ${table} where ${fn("wrapped")}(id) = 1`, "a stored function whose body runs DELETE"],
      [`select ${fn("rename_first")}(1)`, "a stored function whose body runs UPDATE"],
      [`select ${fn("standard_body")}(2)`, "a stored function whose body runs DELETE"],
      [`select ${fn("built_at_run_time")}(3)`, "it runs SQL built at run time (EXECUTE)"],
      // A built-in that writes: nextval advances the sequence (PostgreSQL refuses it in a read-only transaction).
      [`select nextval('${table}_seq')`, ""],
    ]) {
      const r = await t.psql(key, "routined", ["-c", sql]);
      expect(r.stderr, sql).toContain('Gatehouse denied this statement: rule "read-only"');
      expect(r.stderr, sql).toContain(says);
    }
    // The extended protocol (node-postgres with a parameter) is judged the same way.
    const client = new pg.Client({ host: "127.0.0.1", port: t.pgPort, database: "routined", user: "agent", password: key, ssl: false });
    await client.connect();
    try {
      const refused = await client.query(`select ${fn("erase_row")}($1)`, [4]).catch((e: Error) => e);
      expect(refused).toMatchObject({ code: "42501" });
      // What only reads runs: a STABLE SQL function, a VOLATILE PL/pgSQL function whose body only reads (into its OUT parameter), built-ins.
      const { rows: read } = await client.query(`select ${fn("count_rows")}() as n, ${fn("peek")}() as name, upper('a') as u, now() is not null as t`);
      expect(read).toEqual([{ n: "5", name: "n1", u: "A", t: true }]);
    } finally {
      await client.end();
    }
    expect(await rows()).toBe(before);
    expect((await t.psql(key, "routined", ["-qAtc", `select last_value, is_called from ${table}_seq`])).stdout.trim()).toBe("1|f");
  });

  it("a function replaced through the gateway is judged by its new body at once (the DDL drops what the catalog knew)", async () => {
    const ddlKey = await t.setupAccess({ connection: "routined-ddl", identity: "routine-owner" });
    writeFileSync(policyFile, JSON.stringify({ defaultAction: "allow", rules: [{ name: "no-deletes", action: "deny", match: { kinds: ["DELETE"] } }] }));
    const applied = await t.cli("policies", "apply", "routined-ddl", "-f", policyFile);
    if (applied.code !== 0) throw new Error(applied.stderr);
    await new Promise((r) => setTimeout(r, 1500));
    const changing = fn("changing");
    const r = await t.psql(ddlKey, "routined-ddl", [
      "-v",
      "ON_ERROR_STOP=1",
      "-c",
      `create function ${changing}() returns bigint language sql as $$ select count(*) from ${table} $$`,
      "-c",
      `select ${changing}()`,
      "-c",
      `create or replace function ${changing}() returns bigint language sql as $$ delete from ${table} where id = 5; select 1::bigint $$`,
      "-c",
      `select ${changing}()`,
    ]);
    expect(r.stdout).toContain("5\n");
    expect(r.stderr).toContain('Gatehouse denied this statement: rule "no-deletes"');
    expect(r.stderr).toContain(`it calls ${changing}, a stored function whose body runs DELETE`);
    expect(await rows()).toBe("1:n1,2:n2,3:n3,4:n4,5:n5");
  });

  it("[TRIGGERS] refuses a write whose trigger, rule or column default writes a protected table, or that goes through a view or a cascading foreign key to one; writes whose hooks do not, run", async () => {
    const hooksKey = await t.setupAccess({ connection: "routined-hooks", identity: "hook-agent" });
    const [victims, jobs, queue, coded, stamped, plain] = ["victims", "jobs", "queue", "coded", "stamped", "plain"].map(fn);
    const made = await t.psql(hooksKey, "routined-hooks", [
      "-v",
      "ON_ERROR_STOP=1",
      "-qc",
      `create table ${fn("owners")} (id int primary key); insert into ${fn("owners")} values (1);
       create table ${victims} (id int primary key, owner int references ${fn("owners")} on delete cascade); insert into ${victims} values (1, 1), (2, null), (3, null);
       create table ${jobs} (id int);
       create function ${fn("erase_victim")}() returns trigger language plpgsql as $$ begin delete from ${victims} where id = new.id; return new; end $$;
       create trigger erase after insert on ${jobs} for each row execute function ${fn("erase_victim")}();
       create table ${queue} (id int);
       create rule erase as on insert to ${queue} do also delete from ${victims} where id = new.id;
       create function ${fn("next_victim")}() returns int language sql as $$ delete from ${victims} where id = 3 returning id $$;
       create table ${coded} (id int, code int default ${fn("next_victim")}());
       create table ${stamped} (id int, at timestamptz);
       create function ${fn("stamp")}() returns trigger language plpgsql as $$ begin new.at := now(); return new; end $$;
       create trigger stamp before insert or update on ${stamped} for each row execute function ${fn("stamp")}();
       create table ${plain} (id int);
       create view ${fn("victims_v")} as select * from ${victims} where id > 0;
       create view ${fn("jobs_v")} as select * from ${jobs};`,
    ]);
    if (made.code !== 0) throw new Error(made.stderr);
    writeFileSync(policyFile, JSON.stringify({ defaultAction: "allow", rules: [{ name: "protect-victims", action: "deny", match: { tables: [`public.${victims}`], classes: ["write"] } }] }));
    const applied = await t.cli("policies", "apply", "routined-hooks", "-f", policyFile);
    if (applied.code !== 0) throw new Error(applied.stderr);
    await new Promise((r) => setTimeout(r, 1500));
    const victimRows = async () => (await t.psql(hooksKey, "routined-hooks", ["-qAtc", `select string_agg(id::text, ',' order by id) from ${victims}`])).stdout.trim();

    for (const [sql, says] of [
      [`insert into ${jobs} values (1)`, `it writes ${jobs}, whose trigger calls ${fn("erase_victim")}, a function whose body runs DELETE (tables ${victims})`],
      [`insert into ${queue} values (2)`, `it writes ${queue}, which has a rule that runs DELETE (tables ${victims})`],
      [`insert into ${coded} (id) values (1)`, `it writes ${coded}, whose column code is computed by ${fn("next_victim")}, a function whose body runs DELETE (tables ${victims})`],
      [`with j as (insert into ${jobs} values (2) returning id) select * from j`, `whose trigger calls ${fn("erase_victim")}`],
      // A foreign key's ON DELETE CASCADE deletes the referencing rows.
      [`delete from ${fn("owners")} where id = 1`, `it writes ${fn("owners")}, whose rows public.${victims} references with ON DELETE CASCADE, which runs DELETE (tables public.${victims})`],
      [`truncate ${fn("owners")} cascade`, `whose rows public.${victims} references, so TRUNCATE ... CASCADE runs TRUNCATE (tables public.${victims})`],
      // Through views PostgreSQL updates automatically: the rows written are the base table's.
      [`delete from ${fn("victims_v")} where id = 1`, `it writes ${fn("victims_v")}, a view that runs DELETE (tables public.${victims})`],
      [`insert into ${fn("jobs_v")} values (3)`, `it writes ${fn("jobs_v")}, a view over ${jobs}, whose trigger calls ${fn("erase_victim")}`],
    ]) {
      const r = await t.psql(hooksKey, "routined-hooks", ["-c", sql]);
      expect(r.stderr, sql).toContain('Gatehouse denied this statement: rule "protect-victims"');
      expect(r.stderr, sql).toContain(says);
    }
    // The extended protocol is judged the same way.
    const client = new pg.Client({ host: "127.0.0.1", port: t.pgPort, database: "routined-hooks", user: "agent", password: hooksKey, ssl: false });
    await client.connect();
    try {
      expect(await client.query(`insert into ${jobs} values ($1)`, [1]).catch((e: Error) => e)).toMatchObject({ code: "42501" });
      // A trigger that only sets the new row's values, and a table without any: the writes run.
      await client.query(`insert into ${stamped} (id) values ($1)`, [1]);
      await client.query(`update ${stamped} set id = 2`);
      expect((await client.query(`select id, at is not null as stamped from ${stamped}`)).rows).toEqual([{ id: 2, stamped: true }]);
    } finally {
      await client.end();
    }
    expect(await victimRows()).toBe("1,2,3");

    // A trigger created through the gateway counts at once, also for a text the session already saw allowed.
    const r = await t.psql(hooksKey, "routined-hooks", [
      "-c",
      `insert into ${plain} values (1)`,
      "-c",
      `create trigger erase after insert on ${plain} for each row execute function ${fn("erase_victim")}()`,
      "-c",
      `insert into ${plain} values (1)`,
      "-c",
      `select count(*) as plain_rows from ${plain}`,
    ]);
    expect(r.stderr).toContain(`it writes ${plain}, whose trigger calls ${fn("erase_victim")}`);
    expect(r.stdout).toMatch(/plain_rows\s*-+\s*1\b/);
    expect(await victimRows()).toBe("1,2,3");
  });

  it("[VIEWS] refuses a read of a protected table through a view, a view over it, a materialized view or a view's function; other views read", async () => {
    const viewsKey = await t.setupAccess({ connection: "routined-views", identity: "view-agent" });
    const [secrets, open, direct, counted, frozen, peeked, harmless] = ["secrets", "open", "direct_v", "counted_v", "frozen_mv", "peeked_v", "harmless_v"].map(fn);
    const made = await t.psql(viewsKey, "routined-views", [
      "-v",
      "ON_ERROR_STOP=1",
      "-qc",
      `create table ${secrets} (id int, ssn text); insert into ${secrets} values (1, '123-45-6789');
       create table ${open} (id int); insert into ${open} values (7);
       create view ${direct} as select id, ssn from ${secrets};
       create view ${counted} as select count(*) as n from ${direct};
       create materialized view ${frozen} as select ssn from ${secrets};
       create function ${fn("peek_secret")}() returns text language sql stable as $$ select ssn from ${secrets} limit 1 $$;
       create view ${peeked} as select ${fn("peek_secret")}() as ssn;
       create view ${harmless} as select id from ${open};`,
    ]);
    if (made.code !== 0) throw new Error(made.stderr);
    writeFileSync(policyFile, JSON.stringify({ defaultAction: "allow", rules: [{ name: "no-secrets", action: "deny", match: { tables: [`public.${secrets}`], kinds: ["SELECT"] } }] }));
    const applied = await t.cli("policies", "apply", "routined-views", "-f", policyFile);
    if (applied.code !== 0) throw new Error(applied.stderr);
    await new Promise((r) => setTimeout(r, 1500));

    for (const [sql, says] of [
      [`select * from ${secrets}`, ""],
      [`select ssn from ${direct}`, `it reads ${direct}, a view that reads (tables public.${secrets})`],
      [`select n from ${counted}`, `it reads ${counted}, a view that reads (tables public.${direct}, public.${secrets})`],
      [`select * from ${frozen}`, `it reads ${frozen}, a view that reads (tables public.${secrets})`],
      [`select * from ${peeked}`, `it reads ${peeked}, a view that calls ${fn("peek_secret")}, a function whose body reads (tables ${secrets})`],
      [`create temp table copied as select * from ${open} join ${direct} using (id)`, `it reads ${direct}, a view that reads (tables public.${secrets})`],
      // Statements of other kinds that read its rows run a SELECT of it too.
      [`copy ${secrets} to stdout`, ""],
      [`copy (select ssn from ${secrets}) to stdout`, ""],
      [`create temp table copied2 as select ssn from ${secrets}`, ""],
      [`insert into ${open} select id from ${secrets}`, ""],
      [`begin; declare c cursor for select ssn from ${secrets}; fetch all from c; commit`, ""],
      // The planner's statistics keep samples of every table's values.
      [`analyze ${secrets}; select most_common_vals::text from pg_stats where tablename = '${secrets}'`, ""],
    ]) {
      const r = await t.psql(viewsKey, "routined-views", ["-c", sql]);
      expect(r.stderr, sql).toContain('Gatehouse denied this statement: rule "no-secrets"');
      expect(r.stderr, sql).toContain(says);
      expect(r.stdout, sql).not.toContain("123-45-6789");
    }
    // The extended protocol is judged the same way; a view over other tables, and the table itself beside a view, read.
    const client = new pg.Client({ host: "127.0.0.1", port: t.pgPort, database: "routined-views", user: "agent", password: viewsKey, ssl: false });
    await client.connect();
    try {
      expect(await client.query(`select ssn from ${direct} where id = $1`, [1]).catch((e: Error) => e)).toMatchObject({ code: "42501" });
      expect((await client.query(`select id from ${harmless} where id = $1`, [7])).rows).toEqual([{ id: 7 }]);
      expect((await client.query(`select count(*)::int as n from ${open}`)).rows).toEqual([{ n: 1 }]);
    } finally {
      await client.end();
    }
  });

  it("[PARTITIONS] a rule on a partition meets a read or write of its parent, and one on the parent a write of a partition", async () => {
    const partsKey = await t.setupAccess({ connection: "routined-parts", identity: "parts-agent" });
    const [payments, eu, us] = ["payments", "payments_eu", "payments_us"].map(fn);
    const made = await t.psql(partsKey, "routined-parts", [
      "-v",
      "ON_ERROR_STOP=1",
      "-qc",
      `create table ${payments} (id int, region text) partition by list (region);
       create table ${eu} partition of ${payments} for values in ('eu');
       create table ${us} partition of ${payments} for values in ('us');
       insert into ${payments} values (1, 'eu'), (2, 'us');
       create view ${payments}_v as select * from ${payments};
       create view ${us}_v as select * from ${us};`,
    ]);
    if (made.code !== 0) throw new Error(made.stderr);
    const rules = [
      { name: "no-eu", action: "deny", match: { tables: [`public.${eu}`] } },
      { name: "protect-payments", action: "deny", match: { tables: [`public.${payments}`], classes: ["write"] } },
    ];
    writeFileSync(policyFile, JSON.stringify({ defaultAction: "allow", rules }));
    const applied = await t.cli("policies", "apply", "routined-parts", "-f", policyFile);
    if (applied.code !== 0) throw new Error(applied.stderr);
    await new Promise((r) => setTimeout(r, 1500));
    for (const [sql, rule, says] of [
      [`select * from ${payments}`, "no-eu", `it reads ${payments}, a table of a partition or inheritance hierarchy that reads (tables public.${eu}, public.${us})`],
      [`delete from ${payments} where id = 2`, "no-eu", `it writes ${payments}, a table of a partition or inheritance hierarchy that runs DELETE (tables public.${eu}, public.${us})`],
      [`insert into ${us} values (3, 'us')`, "protect-payments", `it writes ${us}, a table of a partition or inheritance hierarchy that runs INSERT (tables public.${payments})`],
      // A view over the parent reads the partitions under it too.
      [`select * from ${payments}_v`, "no-eu", `it reads ${payments}_v, a view that reads (tables public.${payments}, public.${eu}, public.${us})`],
    ]) {
      const r = await t.psql(partsKey, "routined-parts", ["-c", sql]);
      expect(r.stderr, sql).toContain(`Gatehouse denied this statement: rule "${rule}"`);
      expect(r.stderr, sql).toContain(says);
    }
    // Another partition is read alone.
    const r = await t.psql(partsKey, "routined-parts", ["-qAtc", `select string_agg(id::text, ',') from ${us}`]);
    expect(r.stdout.trim()).toBe("2");
    // And through a view: its parent is among what the view reads, its sibling is not.
    const viewed = await t.psql(partsKey, "routined-parts", ["-qAtc", `select string_agg(id::text, ',') from ${us}_v`]);
    expect(viewed.stderr).toBe("");
    expect(viewed.stdout.trim()).toBe("2");
    const all = await t.psql(partsKey, "routined-parts", ["-qAtc", `select count(*) from ${payments}`]);
    expect(all.stderr).toContain('rule "no-eu"');
  });

  it("[EVENT TRIGGERS] refuses DDL whose event trigger writes a protected table; the same DDL straight to the target runs it", async () => {
    // A database of its own: an event trigger fires for every DDL statement in its database, and the run's tests share `shop`.
    const db = `evt_${process.pid}`;
    const server = inject("pg");
    psqlAdmin(server, [`drop database if exists ${db}`, `create database ${db} owner app`]);
    // Made by a superuser (only one may create event triggers), as a target's owner would have.
    psqlAdmin(
      server,
      [
        "create table victims (id int); insert into victims values (1), (2), (3); grant all on victims to app",
        "create function purge_on_ddl() returns event_trigger language plpgsql as $$ begin delete from public.victims; end $$",
        // Disabled: never fires, adds nothing.
        "create function off_on_ddl() returns event_trigger language plpgsql as $$ begin insert into public.victims values (9); end $$",
        "create event trigger off_on_ddl on ddl_command_start execute function off_on_ddl()",
        "alter event trigger off_on_ddl disable",
        // Last: DDL from here on (a CREATE FUNCTION too) empties victims.
        "create event trigger purge_on_ddl on ddl_command_end execute function purge_on_ddl()",
      ],
      db,
    );
    const victims = () => psqlAdmin(server, "select count(*) from victims", db).trim();
    const evtKey = await t.setupAccess({ connection: "evented", identity: "evt-agent", db });
    writeFileSync(policyFile, JSON.stringify({ defaultAction: "allow", rules: [{ name: "protect-victims", action: "deny", match: { tables: ["public.victims"], classes: ["write"] } }] }));
    const applied = await t.cli("policies", "apply", "evented", "-f", policyFile);
    if (applied.code !== 0) throw new Error(applied.stderr);
    await new Promise((r) => setTimeout(r, 1500));
    for (const sql of ["create table scratch (id int)", "comment on table victims is 'x'", "create or replace function f() returns int language sql as 'select 1'"]) {
      const r = await t.psql(evtKey, "evented", ["-c", sql]);
      expect(r.stderr, sql).toContain('Gatehouse denied this statement: rule "protect-victims"');
      expect(r.stderr, sql).toContain("it runs DDL, which fires the event trigger function purge_on_ddl, a function whose body runs DELETE (tables public.victims)");
      expect(r.stderr, sql).not.toContain("off_on_ddl");
    }
    // What runs no DDL fires nothing.
    const read = await t.psql(evtKey, "evented", ["-qAtc", "select count(*) from victims"]);
    expect(read.stdout.trim()).toBe("3");
    expect(victims()).toBe("3");
    // The trigger is real: the same DDL sent straight to the target empties the table.
    psqlAdmin(server, "set role app; create table direct_made (id int)", db);
    expect(victims()).toBe("0");
  });
});
