import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RowDataPacket } from "mysql2/promise";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { openSeed, seedGrant, seedIdentity, seedMasking, type Seed, type SeededIdentity } from "../support/seed";
import { startMariadb, type MariadbServer } from "../support/mariadb-server";
import { gatewayConnection, seedMysqlConnection } from "../support/mysql-client";
import { cursorRun } from "../support/mysql-cursor";

// Views on a masked MySQL connection. MariaDB's column definitions name the view (or the alias it
// is read under), never the base table, so the one rule here, on the base column users.code, must
// reach every view column derived from it: renamed, through a view over a view, inside CONCAT or
// GROUP_CONCAT, through `select *`, aliases, derived tables, CTEs, prepared statements, cursors,
// procedures, views created mid-session, and a view whose definition the gateway's account cannot
// read (masked whole). No detector runs, so only the rule can hide the codes; the columns it does
// not cover must come through exactly.
const CODES = ["ZX-4471-QQ", "KP-9020-RR"];

describe("[MYSQL][MASKING][VIEWS]", () => {
  let db: MariadbServer;
  let gw: TestGateway;
  let seed: Seed;
  let agent: SeededIdentity;
  let port: number;

  beforeAll(async () => {
    db = await startMariadb();
    await db.admin(
      `create table shop.users (id int primary key, code varchar(20), note varchar(40));
       insert into shop.users values (1, '${CODES[0]}', 'plain one'), (2, '${CODES[1]}', 'plain two');
       create view shop.user_refs as select id, code as ref, note from shop.users;
       create view shop.user_refs2 as select ref as r2, id, note from shop.user_refs;
       create view shop.user_tags as select id, concat('tag-', code) as tag from shop.users;
       create view shop.code_list as select group_concat(code order by id) as codes, count(*) as n from shop.users;
       create view shop.swap as select id, note as ref from shop.users;
       create view shop.joined as select u.id, r.ref as joined_ref, u.note from shop.users u join shop.user_refs r on r.id = u.id;
       create procedure shop.refs() select id, ref from shop.user_refs order by id;
       create user 'reader'@'%' identified by 'reader-secret';
       grant select, execute on shop.* to 'reader'@'%';`,
    );
    gw = await startTestGateway();
    port = gw.gw.ports.mysql;
    seed = openSeed(gw);
    await seedMysqlConnection(seed, "viewed", db, { db: "shop" });
    // The same target as an account with SELECT only: information_schema.VIEWS shows it no definition (no SHOW VIEW).
    await seedMysqlConnection(seed, "viewed-reader", db, { db: "shop", account: { user: "reader", password: "reader-secret" } });
    for (const c of ["viewed", "viewed-reader"]) {
      await seedGrant(seed, "agents", c);
      await seedMasking(seed, c, { columns: [{ column: "users.code", style: "redact" }], detectors: { builtIn: [] } });
    }
    agent = await seedIdentity(seed, "view-agent", ["agents"]);
  }, 120_000);
  afterAll(async () => {
    await seed?.close();
    await gw?.close();
    await db?.stop();
  });

  const leaks = (shown: string) => CODES.filter((v) => shown.includes(v));
  const connect = (connection = "viewed", opts: { multipleStatements?: boolean } = {}) => gatewayConnection(port, connection, agent.key, { database: "shop", ...opts });

  async function expectMasked(c: Awaited<ReturnType<typeof connect>>, sql: string): Promise<unknown> {
    const [rows] = await c.query<RowDataPacket[]>(sql);
    const shown = JSON.stringify(rows);
    expect(leaks(shown), `${sql} -> ${shown}`).toEqual([]);
    expect(shown, sql).toContain("[REDACTED]");
    return rows;
  }

  it("masks every view column derived from the covered base column, in text results", async () => {
    const c = await connect();
    try {
      const corpus = [
        "select * from user_refs order by id",
        "select ref from user_refs",
        "select r.ref as x from user_refs r",
        "select ref from shop.user_refs",
        "select * from user_refs2",
        "select r2 from user_refs2",
        "select x.r2 from user_refs2 x",
        "select * from user_tags",
        "select codes from code_list",
        "select * from joined",
        "select upper(ref) as u from user_refs",
        "select concat(r2, '') as c from user_refs2",
        "select * from (select ref as k from user_refs) t",
        "select * from (select * from user_refs2) t",
        "with c as (select ref from user_refs) select * from c",
        "select u.note, v.ref from users u join user_refs v on v.id = u.id",
        "select ref from user_refs union select 'x'",
      ];
      for (const sql of corpus) await expectMasked(c, sql);
      // Renamed whole: the rule itself, not a guess from the column's name.
      const [[row]] = await c.query<RowDataPacket[]>("select id, ref, note from user_refs where id = 1");
      expect(row).toEqual({ id: 1, ref: "[REDACTED]", note: "plain one" });
      // What the rule does not cover comes through exactly, through the same views.
      const [exact] = await c.query<RowDataPacket[]>("select id, note from user_refs2 order by id");
      expect(exact).toEqual([
        { id: 1, note: "plain one" },
        { id: 2, note: "plain two" },
      ]);
      const [joined] = await c.query<RowDataPacket[]>("select id, note from joined order by id");
      expect(joined).toEqual([
        { id: 1, note: "plain one" },
        { id: 2, note: "plain two" },
      ]);
      const [[counted]] = await c.query<RowDataPacket[]>("select n from code_list");
      expect(counted).toEqual({ n: 2 });
      // A view column named like a masked one elsewhere but reading an unmasked column stays as it is.
      const [swapped] = await c.query<RowDataPacket[]>("select id, ref from swap order by id");
      expect(swapped).toEqual([
        { id: 1, ref: "plain one" },
        { id: 2, ref: "plain two" },
      ]);
    } finally {
      await c.end();
    }
  });

  it("masks binary-protocol rows of prepared statements and a cursor's fetched rows over views", async () => {
    const c = await connect();
    try {
      for (const sql of ["select * from user_refs where id > ? order by id", "select r2, id from user_refs2 where id > ?", "select tag from user_tags where id > ?"]) {
        const [rows] = await c.execute<RowDataPacket[]>(sql, [0]);
        const shown = JSON.stringify(rows);
        expect(leaks(shown), `${sql} -> ${shown}`).toEqual([]);
        expect(rows).toHaveLength(2);
      }
      const [rows] = await c.execute<RowDataPacket[]>("select id, ref, note from user_refs where id > ? order by id", [0]);
      expect(rows).toEqual([
        { id: 1, ref: "[REDACTED]", note: "plain one" },
        { id: 2, ref: "[REDACTED]", note: "plain two" },
      ]);
    } finally {
      await c.end();
    }
    const cursor = await cursorRun(await connect(), "select id, note, ref from user_refs order by id");
    expect([...cursor.first, ...cursor.rest]).toEqual([
      [1, "plain one", "[REDACTED]"],
      [2, "plain two", "[REDACTED]"],
    ]);
  });

  it("masks what a procedure and an SQL-level EXECUTE return from a view (the text does not name it)", async () => {
    const c = await connect("viewed", { multipleStatements: true });
    try {
      const [results] = await c.query<RowDataPacket[][]>("call refs()");
      expect(leaks(JSON.stringify(results))).toEqual([]);
      expect(results[0]).toEqual([
        { id: 1, ref: "[REDACTED]" },
        { id: 2, ref: "[REDACTED]" },
      ]);
      const [executed] = await c.query<RowDataPacket[][]>("prepare s from 'select id, ref from user_refs order by id'; execute s");
      expect(leaks(JSON.stringify(executed))).toEqual([]);
      expect(executed[1]).toEqual([
        { id: 1, ref: "[REDACTED]" },
        { id: 2, ref: "[REDACTED]" },
      ]);
    } finally {
      await c.end();
    }
  });

  it("masks a view created or replaced mid-session, and one created in the same text as the select", async () => {
    const c = await connect("viewed", { multipleStatements: true });
    try {
      // Looked up before it exists (remembered as no view), then created through the gateway.
      await expect(c.query("select * from late_refs")).rejects.toThrow(/doesn't exist/);
      await c.query("create view late_refs as select id, code as secret_ref from users");
      await expectMasked(c, "select * from late_refs");
      // Read as harmless (note), then replaced to expose the code under the same column name.
      const [before] = await c.query<RowDataPacket[]>("select ref from swap order by id");
      expect(before).toEqual([{ ref: "plain one" }, { ref: "plain two" }]);
      await c.query("create or replace view swap2 as select id, note as ref from users");
      await expect(c.query<RowDataPacket[]>("select ref from swap2 order by id").then(([r]) => r)).resolves.toEqual([{ ref: "plain one" }, { ref: "plain two" }]);
      await c.query("create or replace view swap2 as select id, code as ref from users");
      await expectMasked(c, "select ref from swap2");
      // A view of a union (read by the gateway as a view of a derived table: refused as unreadable before).
      await c.query("create view union_refs as select note as u from users union all select concat(code, '') from users");
      await expectMasked(c, "select u from union_refs");
      // Created by someone else (not through the gateway) under a name never looked up.
      await db.admin("create view shop.outside_refs as select code as o from shop.users");
      await expectMasked(c, "select o from outside_refs");
      // DDL then a select in one text: what was looked up before it ran cannot be relied on.
      const [results] = await c.query<RowDataPacket[][]>("create view same_text as select id, code as s from users; select s from same_text");
      expect(leaks(JSON.stringify(results))).toEqual([]);
      expect(JSON.stringify(results[1])).toContain("[REDACTED]");
    } finally {
      await c.end();
    }
  });

  it("masks every column of a view whose definition the gateway's account cannot read (fail closed); tables stay exact", async () => {
    const c = await connect("viewed-reader");
    try {
      const [rows] = await c.query<RowDataPacket[]>("select ref, note from user_refs order by id");
      expect(rows).toEqual([
        { ref: "[REDACTED]", note: "[REDACTED]" },
        { ref: "[REDACTED]", note: "[REDACTED]" },
      ]);
      for (const sql of ["select * from user_refs", "select r2, note from user_refs2", "select upper(ref) as u from user_refs", "select * from swap"]) await expectMasked(c, sql);
      const [prepared] = await c.execute<RowDataPacket[]>("select ref, note from user_refs where id > ?", [0]);
      expect(leaks(JSON.stringify(prepared))).toEqual([]);
      // The base table itself: its rule, and nothing else masked.
      const [table] = await c.query<RowDataPacket[]>("select id, code, note from users order by id");
      expect(table).toEqual([
        { id: 1, code: "[REDACTED]", note: "plain one" },
        { id: 2, code: "[REDACTED]", note: "plain two" },
      ]);
    } finally {
      await c.end();
    }
  });
});
