import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RowDataPacket } from "mysql2/promise";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { auditEventsAbout, openSeed, seedGrant, seedIdentity, seedPolicy, type Seed, type SeededIdentity } from "../support/seed";
import { startMariadb, type MariadbServer } from "../support/mariadb-server";
import { gatewayConnection, seedMysqlConnection } from "../support/mysql-client";

// A read-only guardrail against SELECTs that write through the target owner's stored functions, on a
// real MariaDB: the table is the judge of whether a write slipped past.
describe("[MYSQL][GUARDRAILS][ROUTINES] a statement is judged with what the stored functions it calls run", () => {
  let db: MariadbServer;
  let gw: TestGateway;
  let seed: Seed;
  let agent: SeededIdentity;
  const snapshot = () => db.admin("select count(*), coalesce(sum(crc32(concat(id, name))), 0) from shop.victims");
  let before: string;

  beforeAll(async () => {
    db = await startMariadb();
    await db.admin(`
      create table shop.victims (id int primary key, name varchar(50));
      insert into shop.victims values (1, 'ann'), (2, 'bob'), (3, 'cy');
      create sequence shop.victim_ids;
      delimiter //
      create function shop.erase_victim(p int) returns int modifies sql data begin delete from shop.victims where id = p; return 1; end//
      create function shop.wrapped(p int) returns int modifies sql data begin return erase_victim(p); end//
      create function shop.rename_first() returns int modifies sql data
      begin
        declare n int default 0;
        -- a loop, then a write under a condition
        while n < 3 do set n = n + 1; end while;
        if n > 2 then update shop.victims set name = 'renamed' where id = 1; end if;
        return n;
      end//
      create function shop.count_victims() returns int reads sql data return (select count(*) from shop.victims)//
      create function shop.concat(x text) returns text modifies sql data begin delete from shop.victims where id = 3; return x; end//
      create function shop.bump(\`P\` int) returns int deterministic begin set p = p + 1; return p; end//
      create function shop.retune(p int) returns int deterministic begin set session wait_timeout = p; return p; end//
      create table shop.jobs (id int)//
      create trigger shop.jobs_erase after insert on shop.jobs for each row delete from shop.victims where id = new.id//
      create table shop.queue (id int)//
      create trigger shop.queue_erase before delete on shop.queue for each row begin call shop.forget(old.id); end//
      create procedure shop.forget(p int) modifies sql data delete from shop.victims where id = p//
      create table shop.relay (id int)//
      create trigger shop.relay_on after insert on shop.relay for each row insert into shop.jobs values (new.id)//
      create table shop.stamped (id int, at datetime, code varchar(10))//
      create trigger shop.stamp before insert on shop.stamped for each row begin set new.at = now(), new.\`code\` = upper(new.code); end//
      create table shop.plain (id int)//
      create view shop.victims_v as select id, name from shop.victims where id > 0//
      create view shop.jobs_v as select id from shop.jobs//
      create table shop.owners (id int primary key) engine=InnoDB//
      insert into shop.owners values (1)//
      create table shop.owned (id int primary key, owner int, foreign key (owner) references shop.owners (id) on delete cascade) engine=InnoDB//
      insert into shop.owned values (1, 1)//
      create table shop.secrets (id int, ssn varchar(20))//
      insert into shop.secrets values (1, '123-45-6789')//
      create view shop.secrets_v as select id, ssn from shop.secrets//
      create view shop.secrets_count as select count(*) as n from shop.secrets_v//
      create function shop.peek_secret() returns varchar(20) reads sql data return (select ssn from shop.secrets limit 1)//
      create view shop.peek_v as select shop.peek_secret() as ssn//
      create view shop.plain_v as select id from shop.plain//
      create procedure shop.dyn_purge() modifies sql data begin set @s = concat('delete from shop.vic', 'tims'); prepare st from @s; execute st; end//
      delimiter ;
    `);
    gw = await startTestGateway();
    seed = openSeed(gw);
    await seedMysqlConnection(seed, "routines", db, { db: "shop" });
    await seedGrant(seed, "agents", "routines");
    await seedPolicy(seed, "routines", {
      defaultAction: "allow",
      rules: [
        { name: "read-only", action: "deny", match: { classes: ["write", "ddl", "privileges"] } },
        { name: "no-settings", action: "deny", match: { classes: ["session"] } },
      ],
    });
    await seedMysqlConnection(seed, "triggered", db, { db: "shop" });
    await seedGrant(seed, "agents", "triggered");
    await seedPolicy(seed, "triggered", {
      defaultAction: "allow",
      rules: [
        { name: "protect-victims", action: "deny", match: { tables: ["shop.victims", "shop.owned"], classes: ["write"] } },
        { name: "no-settings", action: "deny", match: { classes: ["session"] } },
      ],
    });
    await seedMysqlConnection(seed, "viewed", db, { db: "shop" });
    await seedGrant(seed, "agents", "viewed");
    await seedPolicy(seed, "viewed", { defaultAction: "allow", rules: [{ name: "no-secrets", action: "deny", match: { tables: ["shop.secrets"], kinds: ["SELECT"] } }] });
    agent = await seedIdentity(seed, "routine-agent", ["agents"]);
    before = await snapshot();
  }, 120_000);
  afterAll(async () => {
    await seed?.close();
    await gw?.close();
    await db?.stop();
  });

  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => null,
      (e: { errno?: number; message?: string }) => e,
    );
  /** Each text refused with 1142 by the rule, saying why. */
  const refused = async (c: Awaited<ReturnType<typeof gatewayConnection>>, rule: string, cases: string[][]) => {
    for (const [sql, says] of cases) {
      const err = await refusal(c.query(sql));
      expect(err?.errno, sql).toBe(1142);
      expect(err?.message, sql).toContain(rule);
      expect(err?.message, sql).toContain(says);
    }
  };

  it("refuses a SELECT whose stored function writes (directly, through another function, under a condition, named as a built-in), text and prepared; reads run", async () => {
    const c = await gatewayConnection(gw.gw.ports.mysql, "routines", agent.key);
    try {
      await refused(c, 'rule "read-only"', [
        ["select erase_victim(1)", "it calls erase_victim, a stored function whose body runs DELETE (tables shop.victims)"],
        ["select id from victims where wrapped(id) = 1", "it calls wrapped, a stored function whose body runs DELETE"],
        ["select rename_first() as n", "it calls rename_first, a stored function whose body runs UPDATE"],
        ["select shop.concat('a')", "it calls shop.concat, a stored function whose body runs DELETE"],
        ["select no_such_udf('rm -rf /')", "neither a built-in function nor a stored function of the target"],
        // A built-in that writes: NEXTVAL advances the sequence it names.
        ["select nextval(victim_ids)", ""],
      ]);
      expect((await refusal(c.execute("select erase_victim(?)", [2])))?.errno).toBe(1142);
      // What only reads runs: a function that reads, the built-in CONCAT beside a stored function of that name.
      const [[row]] = await c.query<RowDataPacket[]>("select count_victims() as n, concat('a', 'b') as ab, upper(name) as u from victims where id = 1");
      expect(row).toEqual({ n: 3, ab: "ab", u: "ANN" });
      // A function that sets its own parameter changes no setting of the session; one that sets the session's is refused by the rule on settings.
      const [[bumped]] = await c.query<RowDataPacket[]>("select bump(1) as b");
      expect(bumped).toEqual({ b: 2 });
      const retune = await refusal(c.query("select retune(100)"));
      expect(retune?.errno).toBe(1142);
      expect(retune?.message).toContain('rule "no-settings"');
    } finally {
      await c.end();
    }
    expect(await snapshot()).toBe(before);
    expect((await db.admin("select next_not_cached_value from shop.victim_ids")).trim()).toBe("1");
    // The refusal is audited with the reason a person can act on.
    await gw.gw.deps.audit.flush();
    const [denied] = await auditEventsAbout(seed, "select erase_victim(1)");
    expect(denied).toMatchObject({ action: "statement", outcome: "denied", statementKind: "SELECT" });
    expect(denied.message).toContain("a stored function whose body runs DELETE");
  });

  it("[TRIGGERS] refuses a write whose trigger writes a protected table (directly, through a procedure, through another table's trigger, through a view, through a cascading foreign key); a trigger that sets the new row's values runs", async () => {
    const c = await gatewayConnection(gw.gw.ports.mysql, "triggered", agent.key);
    try {
      await refused(c, 'rule "protect-victims"', [
        ["insert into jobs values (1)", "it writes jobs, whose trigger runs DELETE (tables shop.victims)"],
        // A procedure whose body runs SQL held in a variable may touch any table: a rule on one meets it.
        ["call dyn_purge()", "it calls dyn_purge"],
        ["replace into jobs values (2)", "it writes jobs, whose trigger runs DELETE"],
        ["insert into jobs select id from plain", "it writes jobs, whose trigger runs DELETE"],
        ["delete from queue where id = 1", "it writes queue, whose trigger runs CALL, DELETE"],
        ["insert into relay values (3)", "it writes relay, whose trigger writes shop.jobs, whose trigger runs DELETE"],
        ["/*!40000 insert into jobs values (1) */", "it writes jobs, whose trigger runs DELETE"],
        // Through views the server updates: the rows written are the base table's.
        ["delete from victims_v where id = 1", "it writes victims_v, a view that runs DELETE (tables shop.victims)"],
        ["insert into jobs_v values (1)", "it writes jobs_v, a view over shop.jobs, whose trigger runs DELETE"],
        // A foreign key's ON DELETE CASCADE deletes the referencing rows.
        ["delete from owners where id = 1", "it writes owners, whose rows shop.owned references with ON DELETE CASCADE, which runs DELETE (tables shop.owned)"],
      ]);
      expect((await refusal(c.execute("insert into jobs values (?)", [1])))?.errno).toBe(1142);
      // Writes whose triggers do not touch victims run, `set new.at = ...` being no setting of the session; so do tables without triggers.
      await c.query("insert into stamped (id, code) values (1, 'ab')");
      await c.query("insert into plain values (1)");
      // Reading a view over the protected table into another table is judged as reading the table itself is (a rule meets the statement's tables and classes together).
      for (const sql of ["insert into plain select id from victims where id = 2", "insert into plain select id from victims_v where id = 2"])
        expect((await refusal(c.query(sql)))?.message, sql).toContain('rule "protect-victims"');
      await c.query("update jobs set id = 5 where id = 4");
      const [[row]] = await c.query<RowDataPacket[]>("select id, at is not null as stamped, code from stamped");
      expect(row).toEqual({ id: 1, stamped: 1, code: "AB" });
    } finally {
      await c.end();
    }
    expect(await snapshot()).toBe(before);
  });

  it("[VIEWS] refuses a read of a protected table through a view, a view over it or a view's stored function, text and prepared; other views read", async () => {
    const c = await gatewayConnection(gw.gw.ports.mysql, "viewed", agent.key);
    try {
      await refused(c, 'rule "no-secrets"', [
        ["select * from secrets", ""],
        ["select ssn from secrets_v", "it reads secrets_v, a view that reads (tables shop.secrets)"],
        ["select n from shop.secrets_count", "it reads shop.secrets_count, a view over shop.secrets_v, a view that reads (tables shop.secrets)"],
        ["select * from peek_v", "it reads peek_v, a view that calls shop.peek_secret, a stored function whose body reads (tables shop.secrets)"],
        ["insert into plain select id from secrets_v", "it reads secrets_v, a view that reads (tables shop.secrets)"],
        // Statements of other kinds that read its rows run a SELECT of it too.
        ["insert into plain select id from secrets", ""],
        ["create table shop.copied select ssn from secrets", ""],
        ["handler secrets open as h", ""],
        // MariaDB's statistics keep samples of every table's values.
        ["select min_value, max_value from mysql.column_stats", ""],
      ]);
      expect((await refusal(c.execute("select ssn from secrets_v where id = ?", [1])))?.errno).toBe(1142);
      // A view over other tables, and the same view name written through, are not reads of secrets.
      const [rows] = await c.query<RowDataPacket[]>("select count(*) as n from plain_v");
      expect(String(rows[0].n)).toBe((await db.admin("select count(*) from shop.plain_v")).trim());
      const [[counted]] = await c.execute<RowDataPacket[]>("select count(*) as n from plain where id = ?", [42]);
      expect(counted.n).toBe(0);
    } finally {
      await c.end();
    }
  });

  // (A trigger's body is judged with its CREATE TRIGGER on MySQL, so defining one that writes a protected table is refused by itself.)
  it("[SAME TEXT] judges a statement that uses a view an earlier statement of the same multi-statement text redefines as code it cannot see", async () => {
    const c = await gatewayConnection(gw.gw.ports.mysql, "viewed", agent.key, { multipleStatements: true });
    try {
      const err = await refusal(c.query("create or replace view plain_v as select ssn as id from secrets; select * from plain_v"));
      expect(err?.errno).toBe(1142);
      expect(err?.message).toContain('rule "no-secrets"');
      expect(err?.message).toContain("it uses plain_v, which an earlier statement of this text creates or changes");
      expect(await db.admin("select view_definition like '%secrets%' from information_schema.views where table_name = 'plain_v'")).toContain("0");
    } finally {
      await c.end();
    }
  });
});
