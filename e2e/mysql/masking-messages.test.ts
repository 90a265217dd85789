import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RowDataPacket } from "mysql2/promise";
import type { MariadbServer } from "../support/mariadb-server";
import type { SeededIdentity } from "../support/seed";
import { gatewayConnection, mysqlCli } from "../support/mysql-client";
import { EMAILS, leaks, startMaskedMysql, type MaskedMysql } from "./masked-mysql";

// What the target's error and warning messages say under column rules (the corpus: masked-mysql.ts).
describe("[MYSQL][MASKING][MESSAGES]", () => {
  let s: MaskedMysql;
  let db: MariadbServer;
  let agent: SeededIdentity;
  let port: number;

  beforeAll(async () => {
    s = await startMaskedMysql();
    ({ db, agent, port } = s);
  }, 120_000);
  afterAll(() => s?.close());

  it("withholds what server-side code says with SIGNAL (a trigger's, any SQLSTATE; a procedure's warning); refuses a procedure, function or trigger that would say a masked value", async () => {
    // Made by the target's owner, not through the gateway (which refuses a body that copies a masked column into a variable).
    await db.admin(`delimiter //
      create procedure shop.signal_code() begin declare v varchar(40); select code into v from shop.users order by id limit 1; signal sqlstate '45000' set message_text = v; end//
      create procedure shop.warn_code() begin declare v varchar(40); select code into v from shop.users order by id limit 1; signal sqlstate '01000' set message_text = v; end//
      create function shop.signal_fn() returns int reads sql data begin declare v varchar(40); select code into v from shop.users order by id limit 1; signal sqlstate '22000' set message_text = v, mysql_errno = 1062; return 1; end//
      create table shop.signalled (v varchar(10))//
      insert into shop.signalled values ('a')//
      create trigger shop.signalled_u before update on shop.signalled for each row begin declare v varchar(40); select code into v from shop.users order by id limit 1; signal sqlstate '23000' set message_text = v, mysql_errno = 1062; end//
      create trigger shop.signalled_i before insert on shop.signalled for each row begin declare v varchar(40); select code into v from shop.users order by id limit 1; signal sqlstate '45000' set message_text = v; end//
      create procedure shop.warn_plain() signal sqlstate '01000' set message_text = 'careful'//
      create table shop.plain_signal (v varchar(10))//
      insert into shop.plain_signal values ('a')//
      create trigger shop.plain_signal_u before update on shop.plain_signal for each row signal sqlstate '23000' set message_text = 'duplicate of something', mysql_errno = 1062//
      create trigger shop.plain_signal_i before insert on shop.plain_signal for each row signal sqlstate '45000' set message_text = 'no inserts here'//
      delimiter ;
    `);
    const c = await gatewayConnection(port, "masked", agent.key);
    const failure = (sql: string) =>
      c.query(sql).then(
        () => null,
        (e: Error) => e.message,
      );
    try {
      // A procedure, function or trigger whose body reads a masked column into a variable is refused before it runs (its body is read first).
      for (const sql of ["call signal_code()", "call warn_code()", "select signal_fn()"]) {
        expect(await failure(sql), sql).toMatch(/^Gatehouse refused this statement: it calls (signal_code|warn_code|signal_fn), a stored routine whose body names code, which masking protects/);
      }
      for (const sql of ["insert into signalled values ('x')", "update signalled set v = 'b'"]) {
        expect(await failure(sql), sql).toMatch(/^Gatehouse refused this statement: it writes signalled, and a trigger on it names code, which masking protects/);
      }
      // A trigger may SIGNAL any state and number (what it says may come from where the gateway cannot see): an error of a write to a table with triggers is withheld.
      for (const sql of ["insert into plain_signal values ('x')", "update plain_signal set v = 'b'"]) {
        expect(await failure(sql), sql).toBe("[REDACTED: message of server-side code withheld by masking]");
      }
      // A procedure whose body names nothing masked runs; what it says is withheld all the same (it may compute a value the gateway cannot see).
      await c.query("call warn_plain()");
      const [warnings] = await c.query<RowDataPacket[]>("show warnings");
      expect(warnings).toEqual([{ Level: "Warning", Code: 1642, Message: "[REDACTED: message of server-side code withheld by masking]" }]);
      // After a statement that runs no server-side code, a warning keeps its words (what it quotes is masked, as ever).
      await c.query("select cast('12abc' as signed)");
      const [plain] = await c.query<RowDataPacket[]>("show warnings");
      expect(plain[0]?.Message).toBe("Truncated incorrect INTEGER value: '[REDACTED]'");
    } finally {
      await c.end();
    }
  });

  it("masks values the target's error messages quote, and the mysql command line sees masked rows", async () => {
    const c = await gatewayConnection(port, "masked", agent.key);
    try {
      const err = await c.query(`insert into users (id) values ('${EMAILS[0]}')`).then(
        () => null,
        (e: Error) => e,
      );
      expect(err?.message).toContain("[REDACTED:email]");
      expect(err?.message).not.toContain(EMAILS[0]);
    } finally {
      await c.end();
    }
    const r = await mysqlCli(port, "masked", agent.key, ["shop", "-e", "select code, email from users order by id"]);
    expect(r.stderr).toBe("");
    expect(leaks(r.stdout)).toEqual([]);
    expect(r.stdout.split("\n")[1]).toBe("[REDACTED]\t[REDACTED:email]");
  });
});
