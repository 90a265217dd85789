import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RowDataPacket } from "mysql2/promise";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { run, type TestGateway } from "../support/gateway-harness";
import type { MariadbServer } from "../support/mariadb-server";
import type { SeededIdentity } from "../support/seed";
import { gatewayConnection, mysqlCli } from "../support/mysql-client";
import { CODES, EMAILS, leaks, startMaskedMysql, type MaskedMysql } from "./masked-mysql";

// Rows through the masking (the corpus: masked-mysql.ts); what error and warning messages say: masking-messages.test.ts.
describe("[MYSQL][MASKING]", () => {
  let s: MaskedMysql;
  let db: MariadbServer;
  let gw: TestGateway;
  let agent: SeededIdentity;
  let port: number;

  beforeAll(async () => {
    s = await startMaskedMysql();
    ({ db, gw, agent, port } = s);
    // System-versioned (its past rows kept, hidden columns added), for the history reads of the corpus.
    await db.admin("alter table shop.users add system versioning");
    // A partitioned table of the covered cards' shape, no rule on it: EXCHANGE PARTITION would move the cards' rows into it.
    await db.admin("create table shop.card_parts (id int primary key, pan varchar(20)) partition by range (id) (partition p0 values less than maxvalue)");
  }, 120_000);
  afterAll(() => s?.close());

  const corpus = [
    "select code, email, note from users order by id",
    "select code as c, email as e from users",
    "select concat(code, '!') as x, upper(code) as y from users",
    "select json_object('c', code, 'e', email) as j from users",
    "select group_concat(code separator ',') as g from users",
    "select code from users union select 'x'",
    "select * from user_codes",
    "select id, code from (select * from users) t",
    "select k from (select code as k from users) t",
    "select `u`.`code` as c from users `u`",
    "select concat(`shop`.`users`.`code`, '') as c from `shop`.`users`",
    // The grammar reads `binary code` as a column named binary; the server as BINARY applied to code.
    "select binary code from users",
    // JSON_TABLE's columns, which MariaDB reports under a table of their own.
    "select j.c from users, json_table(json_object('c', code), '$' columns (c varchar(40) path '$.c')) j",
    "select * from json_table((select json_arrayagg(code) from users), '$[*]' columns (c varchar(40) path '$')) as `j j`",
    // ANALYZE ... PERSISTENT keeps each column's smallest and largest value (and a histogram) in mysql.column_stats.
    "analyze table users persistent for all",
    "select column_name, min_value, max_value from mysql.column_stats where table_name = 'users'",
    // A long IN list of literals is traced by its first item (core/sql/mysql-grammar-form.ts, longInListsCut).
    `select concat(code, '') as c, email from users where id not in (${Array.from({ length: 2000 }, (_, i) => i + 1000).join(", ")})`,
    // MariaDB's statements that run another: traced as the statement they run.
    "set statement max_statement_time = 10 for select concat(code, '-') as c, email from users",
    "execute immediate 'select upper(code) as c, email from users where id > ?' using 0",
    "begin not atomic select concat(code, '-') as c, email from users; end",
    // System-versioned reads: the table's rows of other times, masked as its rows.
    "select concat(code, '!') as c, email from users for system_time all",
    "select * from users for system_time as of timestamp now() as u",
    // A table value constructor's rows, read as SELECTs.
    "values ((select code from users where id = 1), (select email from users where id = 1)), ('x', 'y')",
    // Spellings the grammar library lacks, read as their plain forms (core/sql/mysql-grammar-form.ts).
    "select substring(code from 2 for 6) as s, mid(email from 1) as e from users",
    "select max(distinct code) as m, min(distinct email) as e from users group by id",
    "select concat(code, '') as c, email from users order by id offset 1 rows fetch first 2 rows only",
    "select concat(code, '') as c, email from users except all select 'x', 'y'",
    "select percentile_disc(0.5) within group (order by code) over () as p, email from users",
    "select code, email, count(*) over (order by id range between unbounded preceding and current row) as n from users",
    // Parenthesised UNION operands after WITH and inside IN, and a variable assigned inside an expression (core/sql/mysql-query-forms.ts).
    "with a as (select 1 as x) (select code, email from users order by id limit 1) union (select 'x', 'y' from a)",
    "select * from users where id in ((select 1) union (select 2))",
    "select id, (@rn := coalesce(@rn, 0) + 1) as r, code, email from users",
  ];

  it("masks every form of the covered column and every detected email in text results (mysql2)", async () => {
    const c = await gatewayConnection(port, "masked", agent.key);
    try {
      for (const sql of corpus) {
        const [rows] = await c.query<RowDataPacket[]>(sql);
        // Binary strings (BINARY code, mysql.column_stats) come as Buffers: compared as their text.
        const shown = JSON.stringify(rows).replace(/\{"type":"Buffer","data":(\[[\d,]*\])\}/g, (_, d: string) => JSON.stringify(Buffer.from(JSON.parse(d) as number[]).toString("latin1")));
        expect(leaks(shown), `${sql} -> ${shown}`).toEqual([]);
        expect(shown, sql).toContain("[REDACTED");
      }
      // HANDLER reads rows by an index, without SQL: masked by the columns the server reports.
      await c.query("handler users open");
      for (const sql of ["handler users read `PRIMARY` first", "handler users read `PRIMARY` = (2)"]) {
        const [rows] = await c.query<RowDataPacket[]>(sql);
        const shown = JSON.stringify(rows);
        expect(leaks(shown), `${sql} -> ${shown}`).toEqual([]);
        expect(shown, sql).toContain("[REDACTED");
      }
      await c.query("handler users close");
      // Unmasked columns come through as they are.
      const [ids] = await c.query<RowDataPacket[]>("select id from users order by id");
      expect(ids).toEqual([{ id: 1 }, { id: 2 }]);
    } finally {
      await c.end();
    }
  });

  it("masks binary-protocol rows of prepared statements", async () => {
    const c = await gatewayConnection(port, "masked", agent.key);
    try {
      for (const sql of ["select id, code, email from users where id > ?", "select concat(code, ?) as x from users"]) {
        const [rows] = await c.execute<RowDataPacket[]>(sql, [0]);
        const shown = JSON.stringify(rows);
        expect(leaks(shown), `${sql} -> ${shown}`).toEqual([]);
        expect(rows).toHaveLength(2);
      }
    } finally {
      await c.end();
    }
  });

  it("a masked value in a column of a number, DECIMAL or date type is NULL, in the text protocol as in the binary one; JSON stays JSON", async () => {
    // A driver reads such a column's text as its type: `[REDACTED]` became 46631928345 in mysql2.
    const c = await gatewayConnection(port, "masked", agent.key);
    try {
      const sql = "select length(code) as n, cast(code as decimal) as d, cast(now() as date) as t, json_array(code) as j, concat(code, '') as s from users where id = 1";
      const [[text]] = await c.query<RowDataPacket[]>(sql);
      const [[binary]] = await c.execute<RowDataPacket[]>(sql);
      for (const row of [text, binary]) {
        expect({ ...row }).toEqual({ n: null, d: null, t: null, j: "[REDACTED]", s: "[REDACTED]" });
      }
    } finally {
      await c.end();
    }
  });

  it("masks what a stored function returns (its body reads a masked column the text does not name), in text and prepared results, and refuses copying it", async () => {
    // Made by the target's owner, not through the gateway (which refuses creating it: it names the column).
    const c = await gatewayConnection(port, "masked", agent.key);
    try {
      for (const sql of ["select first_code() as f", "select concat(shop.first_code(), '') as f"]) {
        const [[text]] = await c.query<RowDataPacket[]>(sql);
        const [[prepared]] = await c.execute<RowDataPacket[]>(sql);
        expect([text.f, prepared.f], sql).toEqual(["[REDACTED]", "[REDACTED]"]);
      }
      const [[plain]] = await c.query<RowDataPacket[]>("select upper('x') as u");
      expect(plain.u).toBe("X");
      // Through a view whose definition calls it (and names no covered column).
      await c.query("create view code_view as select id, concat(first_code(), '') as f from users");
      const [viewed] = await c.query<RowDataPacket[]>("select f, id from code_view order by id");
      // Only the column the function computes: the view's other columns stay as they are.
      expect(viewed).toEqual([
        { f: "[REDACTED]", id: 1 },
        { f: "[REDACTED]", id: 2 },
      ]);
      // Called where its result may reach any column (a derived table): every column is masked.
      await c.query("create view code_view2 as select t.x as x, 7 as y from (select concat(first_code(), '') as x) t");
      const [derived] = await c.query<RowDataPacket[]>("select x, y from code_view2");
      expect(derived).toEqual([{ x: "[REDACTED]", y: null }]);
      for (const sql of ["insert into copies select first_code()", "set @fc = first_code()", "select first_code() into @fc"]) {
        const err = await c.query(sql).then(
          () => null,
          (e: { errno?: number; message?: string }) => e,
        );
        expect(err?.errno, sql).toBe(1142);
        expect(err?.message, sql).toContain("it copies what first_code() returns, and first_code is a stored function");
      }
      // A text the grammar cannot read that calls it, where its result could go anywhere.
      const unread = await c.query("create procedure cp_code() insert into copies select first_code()").then(
        () => null,
        (e: { errno?: number; message?: string }) => e,
      );
      expect(unread?.message).toContain("it calls first_code, a stored function whose body masking cannot see into");
      const [[after]] = await c.query<RowDataPacket[]>("select @fc as fc, (select count(*) from copies) as n");
      expect(after).toEqual({ fc: null, n: 0 });
    } finally {
      await db.admin("drop view if exists shop.code_view, shop.code_view2");
      await c.end();
    }
  });

  it("refuses LOAD DATA into a table whose columns are masked (the file is not read for masked values); into another table it reaches the server", async () => {
    const c = await gatewayConnection(port, "masked", agent.key);
    const failure = (sql: string) =>
      c.query(sql).then(
        () => null,
        (e: { errno?: number; message?: string }) => `${e.errno} ${e.message}`,
      );
    try {
      expect(await failure("load data infile '/tmp/gatehouse-no-such-file.txt' into table users")).toMatch(/^1142 Gatehouse refused this LOAD DATA: it loads rows into users/);
      expect(await failure("load data infile '/tmp/gatehouse-no-such-file.txt' into table copies")).not.toMatch(/Gatehouse/);
      expect(await failure("load xml infile '/tmp/gatehouse-no-such-file.xml' into table shop.`users`")).toMatch(/^1142 Gatehouse refused this LOAD XML: it loads rows into shop.users/);
    } finally {
      await c.end();
    }
  });

  it("re-frames a row that masking moves across the 16 MiB split boundary, keeping sequence ids in order", async () => {
    // Payload 0xffffff + 2 bytes (two packets) before masking, 0xfffffb (one packet) after: the packets after it shift.
    const filler = 0xfffffd - EMAILS[0].length;
    const c = await gatewayConnection(port, "masked", agent.key, { multipleStatements: true });
    const core = (c as unknown as { connection: NodeJS.EventEmitter }).connection;
    const outOfOrder: string[] = [];
    core.on("warn", (w: Error) => outOfOrder.push(w.message));
    try {
      const [results] = await c.query<RowDataPacket[][]>(`select concat(repeat('x', ${filler - 1}), ' ${EMAILS[0]}') as v; select 'after' as w`);
      expect(results[0][0].v.length).toBe(filler + "[REDACTED:email]".length);
      expect(results[0][0].v.endsWith("x [REDACTED:email]")).toBe(true);
      expect(results[1]).toEqual([{ w: "after" }]);
      expect(outOfOrder).toEqual([]);
    } finally {
      await c.end();
    }
  });

  it("refuses to copy a masked column where masking would not follow it (a table, a user variable, a new name), and masks what errors quote of it", async () => {
    const c = await gatewayConnection(port, "masked", agent.key);
    try {
      const copies = [
        "insert into copies select code from users",
        "insert into copies (who) values ((select code from users limit 1))",
        "create temporary table tmp1 as select code from users",
        "create temporary table tmp2 select * from user_codes",
        "update users set note = code",
        "select code from users where id = 1 into @v",
        "set @w = (select code from user_codes where id = 2)",
        "select @z := concat(code, '') from users",
        "select id, (@y := concat(code, '')) as c from users",
        "rename table users to users_renamed",
        "alter table card_parts exchange partition p0 with table cards",
        "alter table users change code c2 varchar(20)",
        "alter table users add column gx varchar(20) as (concat(code, '')) stored",
        "create trigger tg before update on users for each row insert into copies values (new.code)",
        // A trigger's SET body (the one the grammar reads): every later write would copy the column.
        "create trigger tg2 before insert on copies for each row set new.who = (select group_concat(code) from users)",
        "create trigger tg3 before update on users for each row set new.note = old.code",
        // Whole rows of a covered table or view where the grammar cannot follow them.
        "create procedure cp() insert into copies select * from user_codes",
        "create or replace table tmp3 select * from users",
        "insert into copies select * from users for system_time all",
        // SQL built at run time, which the gateway never reads (@q is set below to such a copy).
        "prepare dyn from @q",
        "execute immediate concat('insert into copies sel', 'ect co', 'de from us', 'ers')",
        "prepare dyn2 from 'insert into copies sel' 'ect co' 'de from us' 'ers'",
        "select id, code from users into outfile '/tmp/gatehouse-masked-codes.txt'",
        "select concat(code, '') from user_codes limit 1 into dumpfile '/tmp/gatehouse-masked-code.bin'",
        "select * from users into outfile '/tmp/gatehouse-masked-users.csv' fields terminated by ','",
        // A warning's message quotes the value (`Truncated incorrect INTEGER value: 'ZX-...'`): SHOW WARNINGS is masked, a variable would not be.
        "get diagnostics condition 1 @d = message_text",
        "get current diagnostics condition 1 @e = returned_sqlstate, @f = message_text",
        // Into a system variable for the statement, read back by it (`SET STATEMENT`), or for the session.
        "set statement session_track_system_variables = (select code from users limit 1) for select @@session_track_system_variables",
        "set session_track_system_variables = (select code from users limit 1)",
        "set statement max_statement_time = 10 for insert into copies select code from users",
        "execute immediate 'insert into copies select code from users'",
        "insert into copies select * from (values ((select code from users limit 1))) v",
      ];
      await c.query("set @q = concat('insert into copies sel', 'ect co', 'de from us', 'ers')");
      for (const sql of copies) {
        await c.query("select cast(code as signed) as n from users"); // leaves a warning quoting a code
        const err = await c.query(sql).then(
          () => null,
          (e: { errno?: number; message?: string }) => e,
        );
        expect(err?.errno, sql).toBe(1142);
        expect(err?.message, sql).toContain("Gatehouse refused this statement");
      }
      const [[vars]] = await c.query<RowDataPacket[]>(
        "select @v as v, @w as w, @z as z, @y as y, @d as d, @f as f, (select count(*) from copies) as n, (select count(*) from users where note like '%-%') as notes, (select count(*) from card_parts) as parts",
      );
      expect(vars).toEqual({ v: null, w: null, z: null, y: null, d: null, f: null, n: 0, notes: 0, parts: 0 });
      // What copies nothing masked goes through: a trigger on the covered table's other columns, DDL that names it.
      await c.query("create trigger tg_ok before update on users for each row set new.note = trim(old.note)");
      await c.query("drop trigger tg_ok");
      await c.query("/*!40000 ALTER TABLE `users` DISABLE KEYS */");
      await c.query("/*!40000 ALTER TABLE `users` ENABLE KEYS */");
      // The warnings themselves come back with what they quote masked, their level and code as the server wrote them.
      await c.query("select cast(code as signed) as n from users");
      const [warnings] = await c.query<RowDataPacket[]>("show warnings");
      expect(warnings).toEqual([
        { Level: "Warning", Code: 1292, Message: "Truncated incorrect INTEGER value: '[REDACTED]'" },
        { Level: "Warning", Code: 1292, Message: "Truncated incorrect INTEGER value: '[REDACTED]'" },
      ]);
      // The mysql command line asks for them itself.
      const cli = await mysqlCli(port, "masked", agent.key, ["shop", "--show-warnings", "-e", "select cast(code as signed) as n from users where id = 1"]);
      expect(cli.stdout + cli.stderr).toContain("Warning (Code 1292): Truncated incorrect INTEGER value: '[REDACTED]'");
      expect(leaks(cli.stdout + cli.stderr)).toEqual([]);
      // Errors that quote what the statement computed from a masked column.
      // The server does not escape quotes inside what it quotes: a quote in the value must not end the redaction.
      for (const sql of [
        "select extractvalue(1, concat(0x7e, (select code from users where id = 1)))",
        "select updatexml(1, concat(0x7e, (select code from user_codes limit 1)), 1)",
        "select extractvalue(1, concat(0x7e, 'O''', (select code from users where id = 1)))",
        "select extractvalue(1, concat(0x7e, 'it'' s ', (select code from users where id = 1), ''' for key ''k'))",
      ]) {
        const err = await c.query(sql).then(
          () => null,
          (e: Error) => e,
        );
        expect(err?.message, sql).toContain("'[REDACTED]'");
        expect(leaks(err?.message ?? ""), sql).toEqual([]);
      }
    } finally {
      await c.end();
    }
  });

  it("refuses to write a masked value back into a masked table, and the stored value stays", async () => {
    const c = await gatewayConnection(port, "masked", agent.key);
    try {
      const [[row]] = await c.query<RowDataPacket[]>("select code from users where id = 1");
      const err = await c.query(`update users set code = '${row.code}' where id = 1`).then(
        () => null,
        (e: { errno?: number; message?: string }) => e,
      );
      expect(err?.errno).toBe(1142);
      expect(err?.message).toContain("writes a masked value into users");
      // Through an updatable view over the covered column, in the text and as a prepared statement's value.
      const viaView = (p: Promise<unknown>) =>
        p.then(
          () => null,
          (e: { errno?: number; message?: string }) => `${e.errno} ${e.message}`,
        );
      expect(await viaView(c.query(`update user_codes set code = '${row.code}' where id = 1`))).toContain("1142 Gatehouse refused this UPDATE: it writes a masked value into user_codes");
      expect(await viaView(c.execute("update user_codes set code = ? where id = ?", [row.code, 1]))).toContain("it writes a masked value into user_codes");
      // A real value through the view goes through.
      await c.query(`update user_codes set code = '${CODES[0]}' where id = 1`);
      // Through a staging table: filled with what was shown (a table no rule covers takes it), then copied over the real values.
      await c.query("create temporary table fix (id int, code varchar(20))");
      await c.query(`insert into fix values (1, '${row.code}')`);
      expect(await viaView(c.query("update users u join fix f on u.id = f.id set u.code = f.code"))).toContain("it writes a masked value into users (from fix, which this session gave masked values)");
      expect(await viaView(c.query("insert into users (id, code) select id + 100, code from fix"))).toContain("(from fix, which this session gave masked values)");
    } finally {
      await c.end();
    }
    expect((await db.admin("select code from shop.users where id = 1")).trim()).toBe(CODES[0]);
  });

  it("refuses a masked value bound to a prepared statement (mysql2, Connector/J as a string and as a stream), and lets real values through", async () => {
    const c = await gatewayConnection(port, "masked", agent.key);
    try {
      const [[user]] = await c.query<RowDataPacket[]>("select code from users where id = 1");
      const [[card]] = await c.query<RowDataPacket[]>("select pan from cards where id = 1");
      // A partial mask of a short value has a short run of stars: it is still told as what masking showed.
      expect(card.pan).toBe("**-**71-QQ");
      const refused = (p: Promise<unknown>) =>
        p.then(
          () => null,
          (e: { errno?: number; message?: string }) => `${e.errno} ${e.message}`,
        );
      expect(await refused(c.execute("update users set code = ? where id = ?", [user.code, 1]))).toBe(
        "1142 Gatehouse refused this UPDATE: it writes a masked value into users, whose columns are masked for you",
      );
      expect(await refused(c.execute("update cards set pan = ? where id = ?", [card.pan, 1]))).toContain("1142 Gatehouse refused this UPDATE: it writes a masked value into cards");
      expect(await refused(c.execute("insert into cards values (?, ?)", [9, card.pan]))).toContain("it writes a masked value into cards");
      expect(await refused(c.query(`update cards set pan = '${card.pan}' where id = 1`))).toContain("it writes a masked value into cards");
      // Real values, and masked ones into a table no rule covers, go through.
      await c.execute("insert into copies values (?)", [card.pan]);
      await c.execute("update cards set pan = ? where id = ?", ["KP-0000-ZZ", 2]);
    } finally {
      await c.end();
    }
    expect((await db.admin("select id, pan from shop.cards order by id")).trim()).toBe("1\tZX-4471-QQ\n2\tKP-0000-ZZ\n3\tLM-5555-TT");

    // MariaDB Connector/J's server-side prepared statements: a character stream goes as COM_STMT_SEND_LONG_DATA.
    const classes = mkdtempSync(path.join(tmpdir(), "gatehouse-masked-writes-"));
    try {
      const javac = await run("javac", ["-d", classes, path.join(import.meta.dirname, "fixtures/MaskedWriteBack.java")]);
      expect(javac.stderr).toBe("");
      const keyFile = path.join(gw.env.GATEHOUSE_DATA_DIR, "mysql-rsa-public.pem");
      const url = `jdbc:mariadb://127.0.0.1:${port}/shop?useServerPrepStmts=true&serverRsaPublicKeyFile=${keyFile}`;
      const java = await run("java", ["-cp", `/usr/share/java/mariadb-java-client.jar:${classes}`, "MaskedWriteBack", url, "masked", agent.key]);
      expect(java.stderr).toBe("");
      expect(java.stdout).toBe("shown: **-**71-QQ\nstring: 1142 masked value\nstream: 1142 masked value\nstring after: ran\nstream plain: ran\n");
    } finally {
      rmSync(classes, { recursive: true, force: true });
    }
    // The refused stream left nothing behind for the statement's next execute.
    expect((await db.admin("select id, pan from shop.cards order by id")).trim()).toBe("1\tZX-4471-QQ\n2\tNEW-0001-AA\n3\tNEW-0002-BB");
  });
});
