import { describe, expect, it } from "vitest";
import { analyzeMysql, analyzeMysqlUncached } from "./classify-mysql";
import { plainShape, splitMysql, versionNumber } from "../sql/mysql-lexer";
import { mysqlClassified } from "./mysql-classified.test-support";

const kinds = (text: string) => {
  const a = analyzeMysql(text);
  if (!a.ok) throw new Error(a.error);
  return a.statements.map((s) => s.classification.kind);
};
const one = mysqlClassified;

describe("the MySQL lexer", () => {
  it("opens executable comments, with or without a version, MySQL's and MariaDB's", () => {
    const r = splitMysql("/*!40000 DROP TABLE t */; /*M!100100 DELETE FROM u */; /*! SELECT 1 */");
    expect(r.ok && r.statements.map((s) => s.executable)).toEqual(["DROP TABLE t", "DELETE FROM u", "SELECT 1"]);
  });

  it("keeps ; and comment markers inside strings and identifiers, and drops ordinary comments", () => {
    const r = splitMysql("select 'a;b', \"c/*d\", `e;f` -- x; y\n; # z;\nselect 1--1");
    expect(r.ok && r.statements.map((s) => s.executable)).toEqual(["select 'a;b', \"c/*d\", `e;f`", "select 1--1"]);
    const escaped = splitMysql("select 'it\\'s; ok', 'a''b;c'");
    expect(escaped.ok && escaped.statements.length).toBe(1);
  });

  it("leaves as comments the executable comments whose version is above the target's", () => {
    const r = splitMysql("/*M!999999\\- enable the sandbox mode */ select 1; /*!40101 SET NAMES utf8 */", 101119);
    expect(r.ok && r.statements.map((s) => s.executable)).toEqual(["select 1", "SET NAMES utf8"]);
    expect(versionNumber("5.5.5-10.11.19-MariaDB-0+deb12u1")).toBe(101119);
    expect(versionNumber("8.0.36")).toBe(80036);
  });

  it("gives statements that differ only in literals one shape (kept strings when the text prepares)", () => {
    const shapes = (t: string) => {
      const r = splitMysql(t);
      return r.ok ? r.statements.map((s) => s.shape) : [];
    };
    expect(shapes("select c from t1 where id = 42 and name = 'x' and v > 1.5e3")).toEqual(["select c from t1 where id = 0 and name = '' and v > 0"]);
    expect(shapes("select 1abc, x.2b from t where 9 = 0x1F")).toEqual(["select 1abc, x.2b from t where 0 = 0"]);
    expect(shapes("prepare s from 'delete from t'")).toEqual(["prepare s from 'delete from t'"]);
  });

  it("refuses unterminated strings and comments", () => {
    expect(splitMysql("select 'abc").ok).toBe(false);
    expect(splitMysql("select 1 /* x").ok).toBe(false);
    expect(splitMysql("/*!40000 drop table t").ok).toBe(false);
  });
});

describe("classifying MySQL statements as neutral commands", () => {
  it("judges what an executable comment runs, whatever the case", () => {
    expect(kinds("/*!40000 dRoP TaBlE t */")).toEqual(["DROP TABLE"]);
    expect(kinds("select 1; /*!50000 delete from shop.orders */")).toEqual(["SELECT", "DELETE"]);
  });

  it("names tables, functions, writes without WHERE, server files and session settings", () => {
    expect(one("delete from shop.orders")).toMatchObject({ kind: "DELETE", classes: ["write"], tables: ["shop.orders"], writesWithoutWhere: true });
    expect(one("update t set a = 1 where id = 2")).toMatchObject({ writesWithoutWhere: false });
    expect(one("truncate table shop.orders")).toMatchObject({ kind: "TRUNCATE", writesWithoutWhere: true });
    expect(one("truncate orders")).toMatchObject({ kind: "TRUNCATE", writesWithoutWhere: true });
    expect(one("select load_file('/etc/passwd')").functions).toEqual(["load_file"]);
    // It reads a server file; MariaDB's sequence functions write the sequence they name.
    expect(one("select load_file('/etc/passwd')").copiesServerFile).toBe(true);
    expect(one("select nextval(shop.s), setval(t, 9)")).toMatchObject({ classes: ["read", "write"], tables: ["shop.s", "t"] });
    expect(one("select next value for s").classes).toContain("write");
    expect(one("select lastval(s)").classes).toEqual(["read"]);
    expect(one("select * into outfile '/tmp/x' from t")).toMatchObject({ kind: "SELECT", copiesServerFile: true });
    expect(one("load data infile '/x' into table t")).toMatchObject({ kind: "LOAD DATA", copiesServerFile: true, classes: ["write"] });
    expect(one("set session sql_mode = ''").sessionSettings).toEqual(["sql_mode"]);
    expect(one("select a from t for update").classes).toEqual(["read", "write"]);
    expect(one("grant all on *.* to x").classes).toEqual(["privileges"]);
    expect(one("call p()").classes).toEqual(expect.arrayContaining(["anonymous-code", "write", "ddl"]));
  });

  it("counts a WHERE that names no column as none, judges upserts and REPLACE by the writes they run, and SET GLOBAL as the server's configuration", () => {
    for (const w of ["1", "true", "1 = 1", "'a' = 'a'"]) expect(one(`delete from t where ${w}`).writesWithoutWhere, w).toBe(true);
    // The server reads `||` as OR and `&&` as AND (the grammar reads `||` as concatenation, binding tighter than `=`).
    for (const w of ["id = 1 or 1 = 1", "id = 1 || 1", "id > 0 || true", "id = id", "(id = id) && 1"]) expect(one(`delete from t where ${w}`).writesWithoutWhere, w).toBe(true);
    for (const w of ["id = 1 || id = 2", "id = 1 && (1 = 1 or b = 2)", "name = 'a||b'"]) expect(one(`delete from t where ${w}`).writesWithoutWhere, w).toBe(false);
    expect(one("update t set a = 1 where id > 0").writesWithoutWhere).toBe(false);
    expect(one("insert into t values (1) on duplicate key update a = 1")).toMatchObject({ kind: "INSERT", runs: ["UPDATE"] });
    expect(one("replace into t values (1)")).toMatchObject({ kind: "REPLACE", runs: ["INSERT", "DELETE"] });
    // LOAD DATA names its table (a tables rule meets it) and writes like INSERT, or REPLACE with REPLACE.
    expect(one("load data local infile '/x' replace into table shop.t fields terminated by ','")).toMatchObject({
      kind: "LOAD DATA",
      runs: ["INSERT", "DELETE"],
      tables: ["shop.t"],
      copiesServerFile: false,
    });
    expect(one("load data infile '/x' into table t")).toMatchObject({ runs: ["INSERT"], tables: ["t"], copiesServerFile: true });
    for (const s of [
      "set global general_log = 1",
      "set @@global.general_log_file = '/var/www/x.php'",
      "set persist read_only = 1",
      "set session a = 1, global b = 2",
      "/*!40000 SET GLOBAL read_only = 1 */",
    ]) {
      expect(one(s), s).toMatchObject({ kind: "SET", runs: ["SET GLOBAL"], classes: ["session", "ddl"] });
    }
    for (const s of ["set session sql_mode = ''", "set @@session.sql_mode = ''", "set @x = 'global y = 1'", "set names utf8mb4"]) expect(one(s).runs, s).toEqual([]);
  });

  it("judges PREPARE by what it prepares", () => {
    expect(one("prepare s from 'drop table t'")).toMatchObject({ kind: "PREPARE", runs: ["DROP TABLE"], classes: ["ddl"], prepares: "s" });
  });

  it("judges MariaDB's statements that run another as the statement they run, and refuses SQL built at run time", () => {
    expect(one("execute immediate 'delete from t where id = ?' using 1")).toMatchObject({ kind: "EXECUTE IMMEDIATE", runs: ["DELETE"], tables: ["t"], classes: ["write"] });
    // Its USING values are read as a SELECT's (the server takes no subquery there; the gateway still names what one reads).
    expect(one("execute immediate 'select ?' using (select s from vault)").tables).toEqual(["vault"]);
    // The literal is the statement: two texts that differ only in it are not one shape.
    expect(one("execute immediate 'select 1'").runs).toEqual(["SELECT"]);
    expect(one("execute immediate 'drop table t'").runs).toEqual(["DROP TABLE"]);
    // The server prepares one statement, but what a text of several would run is judged all the same.
    expect(one("execute immediate 'select 1; delete from t'").runs).toEqual(["SELECT", "DELETE"]);
    expect(one("prepare s from 'select 1; drop table t'").runs).toEqual(["SELECT", "DROP TABLE"]);
    const set = one("set statement max_statement_time = 10, sql_log_bin = 0 for delete from t where id = 1");
    expect(set).toMatchObject({ kind: "DELETE", runs: ["SET"], tables: ["t"], writesWithoutWhere: false });
    expect(set.classes).toEqual(expect.arrayContaining(["write", "session"]));
    expect(set.sessionSettings).toEqual(expect.arrayContaining(["max_statement_time", "sql_log_bin"]));
    // The settings end at the first FOR outside parentheses and quotes; what they read is named too.
    expect(one("set statement sql_mode = 'for' for select * from t").tables).toEqual(["t"]);
    expect(one("set statement max_statement_time = (select 1 from u) for select * from t").tables).toEqual(expect.arrayContaining(["t", "u"]));
    expect(one("set statement max_statement_time = 1 for update t set a = 1").writesWithoutWhere).toBe(true);
    expect(one("set statement max_statement_time = 1 for execute immediate 'drop table t'")).toMatchObject({ kind: "EXECUTE IMMEDIATE", runs: ["DROP TABLE", "SET"] });
    // A compound statement is anonymous code, with what its body runs, past flow control in later pieces too.
    const block = one("begin not atomic declare x int default 1; if x then delete from t where id = 1; end if; end");
    expect(block).toMatchObject({ kind: "BEGIN NOT ATOMIC", runs: expect.arrayContaining(["DELETE"]) });
    expect(block.classes).toEqual(expect.arrayContaining(["anonymous-code", "write", "ddl", "privileges"]));
    for (const text of ["set @q = 'drop table t'; prepare s from @q", "prepare s from concat('drop ', 'table t')", "execute immediate @q", "execute immediate concat('drop table ', 't')"]) {
      const a = analyzeMysql(text);
      expect(a.ok, text).toBe(false);
      expect(!a.ok && a.error, text).toContain("give PREPARE or EXECUTE IMMEDIATE the statement as a quoted text");
    }
  });

  it("reads MariaDB's system-versioned reads as reads of the table, DELETE HISTORY as a DELETE, and names SHUTDOWN and plugins", () => {
    expect(one("select * from shop.hist for system_time from timestamp '2000-01-01 00:00:00' to current_timestamp as h")).toMatchObject({ kind: "SELECT", tables: ["shop.hist"] });
    // A time the gateway cannot read (a subquery) is unparseable: refused under a policy.
    expect(analyzeMysql("select * from hist for system_time as of (select max(t) from vault)").ok).toBe(false);
    expect(one("delete history from hist")).toMatchObject({ kind: "DELETE HISTORY", runs: ["DELETE"], classes: ["write"], tables: ["hist"], writesWithoutWhere: true });
    expect(one("delete history from hist before system_time now() - interval 1 day").writesWithoutWhere).toBe(false);
    expect(one("shutdown")).toMatchObject({ kind: "SHUTDOWN", classes: ["ddl"] });
    expect(one("install soname 'ha_blackhole'")).toMatchObject({ kind: "INSTALL SONAME", classes: expect.arrayContaining(["anonymous-code", "ddl"]) });
    expect(one("uninstall plugin blackhole")).toMatchObject({ kind: "UNINSTALL PLUGIN", classes: ["ddl"] });
  });

  it("reads what migrations, ORMs and admins send that the grammar lacks: full-text search, IF NOT EXISTS indexes, CHECK OPTION, partitioning, sequences, COMMIT's words, accounts, events", () => {
    expect(one("select id from t where match(a, b) against('x' in boolean mode)")).toMatchObject({ kind: "SELECT", tables: ["t"], functions: ["match_against"] });
    expect(one("select * from t where match (a) against ((select s from vault) with query expansion)").tables).toEqual(expect.arrayContaining(["t", "vault"]));
    expect(one("create unique index if not exists i on t (a)")).toMatchObject({ kind: "CREATE INDEX", classes: ["ddl"] });
    expect(one("create view v as select a from vault with cascaded check option")).toMatchObject({ kind: "CREATE VIEW", tables: ["vault", "v"] });
    expect(one("create table p (id int, key (id)) partition by hash(id) partitions 4")).toMatchObject({ kind: "CREATE TABLE", classes: ["ddl"] });
    // Partitioning before a query stays unreadable: dropping it would drop the query.
    expect(analyzeMysql("create table p (id int) partition by hash(id) partitions 2 as select id from vault").ok).toBe(false);
    expect(analyzeMysql("create table p (id int) partition by hash(id) partitions 2 as table vault").ok).toBe(false);
    expect(one("create table r (id int) partition by range (id) (partition p0 values less than (10), partition p1 values less than maxvalue)")).toMatchObject({ kind: "CREATE TABLE" });
    expect(one("select next value for s, previous value for shop.s").functions).toEqual(["nextval", "lastval"]);
    for (const text of ["rollback work", "commit and chain", "commit work and no chain no release"]) expect(one(text).classes, text).toEqual(["transaction"]);
    expect(one("create user if not exists 'u'@'%' identified by 'p'")).toMatchObject({ kind: "CREATE USER", classes: ["privileges"] });
    expect(one("create role if not exists r")).toMatchObject({ kind: "CREATE ROLE", classes: ["privileges"] });
    expect(one("grant r to 'u'@'%'")).toMatchObject({ kind: "GRANT", classes: ["privileges"] });
    expect(one("alter event e do delete from t")).toMatchObject({ kind: "ALTER EVENT", runs: ["DELETE"], tables: ["t"] });
    expect(one("purge binary logs before now()")).toMatchObject({ kind: "PURGE BINARY LOGS", classes: ["ddl"] });
  });

  it("names the tables inside a parenthesised join, which the grammar library's table list leaves out", () => {
    expect(one("select * from victims left join (secrets, shop.other) on 1 = 1").tables).toEqual(["victims", "secrets", "shop.other"]);
    expect(one("select * from victims join (secrets s join (other o, more) on 1 = 1) on 1 = 1").tables).toEqual(["victims", "secrets", "other", "more"]);
    expect(one("delete v from victims v join (secrets, other) on 1 = 1 where v.id = 1")).toMatchObject({ kind: "DELETE", tables: ["victims", "secrets", "other"] });
  });

  it("names the table a SHOW or DESCRIBE is about, as SHOW FIELDS already did", () => {
    for (const [sql, table] of [
      ["show columns from secrets", "secrets"],
      ["show full columns in shop.secrets", "shop.secrets"],
      ["show index from `shop`.`secrets`", "shop.secrets"],
      ["show create table secrets", "secrets"],
      ["show create view shop.card_view", "shop.card_view"],
      ["describe secrets", "secrets"],
      ["desc shop.secrets card", "shop.secrets"],
    ])
      expect(one(sql).tables, sql).toEqual([table]);
    expect(one("show tables").tables).toEqual([]);
  });

  it("reads what the grammar lacks only where no table is named, and fails closed otherwise", () => {
    expect(one("SET NAMES utf8mb4")).toMatchObject({ kind: "SET", classes: ["session"] });
    const proc = one("CREATE PROCEDURE p() BEGIN DELETE FROM secrets; END");
    expect(proc.classes).toEqual(expect.arrayContaining(["ddl", "anonymous-code", "write"]));
    expect(proc).toMatchObject({ kind: "CREATE PROCEDURE", tables: ["secrets"] });
    expect(analyzeMysql("frobnicate the orders").ok).toBe(false);
    // The error says where the parser stopped, not the list of every token it expected there.
    const stopped = analyzeMysql("update victims set name := 'y'");
    expect(stopped.ok).toBe(false);
    if (!stopped.ok) {
      expect(stopped.error).toContain("past character 25 (near \":= 'y'\"");
      expect(stopped.error).not.toContain("Expected");
    }
    // A place in a respelled text says so: the user wrote `transactional=0`, the parser met COMMENT = ''.
    const respelled = analyzeMysql("alter table t engine=aria transactional=0");
    expect(respelled.ok).toBe(false);
    if (!respelled.ok) expect(respelled.error).toMatch(/as the gateway respells it for its parser past character \d+ \(near "COMMENT = ''"/);
    // What mysqldump sends and writes, which the grammar lacks.
    expect(one("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")).toMatchObject({ kind: "SET", sessionSettings: ["transaction"] });
    expect(one("/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */")).toMatchObject({ kind: "SET", sessionSettings: ["@old_character_set_client"] });
    expect(one("START TRANSACTION /*!40100 WITH CONSISTENT SNAPSHOT */").kind).toBe("BEGIN");
    expect(one("SHOW FIELDS FROM `shop`.`secrets`")).toMatchObject({ kind: "SHOW", tables: ["shop.secrets"] });
    expect(one("/*!40000 ALTER TABLE `orders` DISABLE KEYS */")).toMatchObject({ kind: "ALTER TABLE", classes: ["ddl"], tables: ["orders"] });
    // Not a plain assignment: a subquery, a password.
    expect(analyzeMysql("set @x = (select secret from vault)").ok).toBe(true);
    expect(one("set password = 'x'").classes).toContain("privileges");
    expect(one("set @x = (select secret from vault)").tables).toEqual(["vault"]);
  });

  it("reads a table value constructor as the SELECTs it amounts to: alone, in a union, in a derived table, with what its rows read and call", () => {
    for (const text of ["VALUES (1, 'a'), (2, NULL)", "values row(-2.5e3, x'00ff', 0x1f, true) limit 1", "values ('it\\'s'), ('a''b')", "values (1, ')'), (2, '(')"])
      expect(one(text), text).toMatchObject({ kind: "SELECT", classes: ["read"], tables: [], functions: [] });
    expect(one("values ((select email from customers))").tables).toEqual(["customers"]);
    expect(one("values (load_file('/etc/passwd'))").functions).toEqual(["load_file"]);
    expect(one("values (1) union select email from customers").tables).toEqual(["customers"]);
    expect(one("select * from (values (1), (2)) t join (select id from vault) v on true").tables).toEqual(expect.arrayContaining(["vault"]));
    // An INSERT's VALUES is its own; a VALUES that does not close stays unreadable.
    expect(one("insert into t (a) values (1), (2)")).toMatchObject({ kind: "INSERT", tables: ["t"] });
    expect(analyzeMysql("values (1").ok).toBe(false);
  });

  it("reads the DROP and ALTER forms mysqladmin and mysqldump send that the grammar does not, SCHEMA as DATABASE, and HELP", () => {
    for (const text of ["drop database `shop`", "DROP DATABASE IF EXISTS `my db`", "drop schema `x`", "drop schema x"])
      expect(one(text), text).toMatchObject({ kind: "DROP DATABASE", classes: ["ddl"], runs: ["DROP SCHEMA"] });
    expect(one("create schema `q`")).toMatchObject({ kind: "CREATE DATABASE", runs: ["CREATE SCHEMA"] });
    for (const text of ["alter database `shop` character set utf8mb4", "alter schema default collate utf8mb4_bin"]) expect(one(text), text).toMatchObject({ kind: "ALTER DATABASE", classes: ["ddl"] });
    expect(one("/*!50003 DROP PROCEDURE IF EXISTS `refund` */")).toMatchObject({ kind: "DROP PROCEDURE", classes: expect.arrayContaining(["ddl", "anonymous-code"]) });
    expect(one("drop event `nightly`")).toMatchObject({ kind: "DROP EVENT" });
    expect(one("drop user if exists 'u'@'%', `v`@`localhost`")).toMatchObject({ kind: "DROP USER", classes: ["privileges"] });
    expect(one("drop role auditor")).toMatchObject({ kind: "DROP ROLE", classes: ["privileges"] });
    expect(one("drop sequence `s`")).toMatchObject({ kind: "DROP SEQUENCE", classes: ["ddl"] });
    expect(one("help 'contents'")).toMatchObject({ kind: "HELP", classes: ["utility"], tables: [] });
    for (const text of ["SHOW CREATE FUNCTION `plus_one`", "show create procedure `db`.`p`", "SHOW CREATE EVENT `nightly`", "show create user 'u'@'%'", "SHOW CREATE DATABASE IF NOT EXISTS `shop`"])
      expect(one(text), text).toMatchObject({ kind: "SHOW", classes: ["utility"] });
    expect(one("SHOW GRANTS FOR CURRENT_USER()")).toMatchObject({ kind: "SHOW", classes: ["utility"] });
    for (const text of ["show open tables from shop", "show events from `shop` like 'n%'"]) expect(one(text), text).toMatchObject({ kind: "SHOW", classes: ["utility"] });
    for (const text of ["describe `shop`.`orders`", "explain shop.orders 'e%'"]) expect(one(text), text).toMatchObject({ kind: "DESCRIBE", tables: ["shop.orders"] });
    expect(one("ALTER TABLE `shop`.`orders` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")).toMatchObject({ kind: "ALTER TABLE", classes: ["ddl"], tables: ["shop.orders"] });
    for (const text of ["alter table `shop`.`orders` alter column `status` drop default", "alter table orders alter status set default 'new'", "alter table orders rename index a to b"])
      expect(one(text), text).toMatchObject({ kind: "ALTER TABLE", classes: ["ddl"], tables: [expect.stringMatching(/orders$/)] });
    expect(one("alter definer=`root`@`%` view v as select email from customers")).toMatchObject({ kind: "ALTER VIEW", classes: ["ddl"], tables: ["customers", "v"] });
    // MariaDB's CREATE OR REPLACE TABLE drops the table it replaces; sequences are tables.
    expect(one("create or replace table archive as select email from customers")).toMatchObject({
      kind: "CREATE TABLE",
      tables: expect.arrayContaining(["archive", "customers"]),
      runs: ["SELECT", "DROP TABLE"], // and it reads customers' rows
    });
    expect(one("create sequence if not exists `shop`.`ids` start with 100 increment by 10")).toMatchObject({ kind: "CREATE SEQUENCE", classes: ["ddl"], tables: ["shop.ids"] });
    expect(one("alter sequence ids restart with 5")).toMatchObject({ kind: "ALTER SEQUENCE", tables: ["ids"] });
    expect(one("drop temporary table if exists `shop`.`orders`, tmp")).toMatchObject({ kind: "DROP TABLE", classes: ["ddl"], tables: ["shop.orders", "tmp"] });
    for (const text of ["ALTER USER 'a'@'%' IDENTIFIED BY 'y'", "rename user a to b", "set password for 'u'@'%' = password('x')", "set default role r for u"])
      expect(one(text).classes, text).toContain("privileges");
    expect(one("revoke select (email) on `shop`.`customers` from 'u'@'%'")).toMatchObject({ kind: "REVOKE", classes: ["privileges"], tables: ["shop.customers"] });
    // GRANT names the table whose privileges it changes, in the grammar's forms and in those it lacks (USAGE, REQUIRE, IDENTIFIED BY...).
    expect(one("grant select, insert on `shop`.`vault` to 'u'@'%'")).toMatchObject({ kind: "GRANT", classes: ["privileges"], tables: ["shop.vault"] });
    expect(one("grant all privileges on table shop.vault to u identified by 'pw' with grant option")).toMatchObject({ kind: "GRANT", tables: ["shop.vault"] });
    for (const text of ["GRANT USAGE ON *.* TO u@localhost REQUIRE SSL", "grant replication slave, create user on *.* to r@'%' with max_user_connections 10", "grant execute on procedure shop.p to u"])
      expect(one(text), text).toMatchObject({ kind: "GRANT", classes: ["privileges"], tables: [] });
    expect(one("grant select on table shop.vault to u")).toMatchObject({ kind: "GRANT", tables: ["shop.vault"] });
    // Anything more than names stays unreadable (refused under a policy).
    for (const text of [
      "drop database `a` cascade",
      "drop database `a`.`b`",
      "drop function f(x)",
      "alter database x character set (select 1)",
      "set role (select 1)",
      "describe t x y",
      "alter table t alter column c set default (select 1)",
    ])
      expect(analyzeMysql(text).ok, text).toBe(false);
  });
});

describe("statements that differ only in their numbers", () => {
  // A small deterministic generator (unit tests keep their own: see the README's Tests).
  let seed = 20261205;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  const pick = <T>(xs: T[]): T => xs[rnd(xs.length)];
  const num = () =>
    pick([
      String(rnd(1000)),
      `${rnd(100)}.${rnd(100)}`,
      `${rnd(9)}e${rnd(9)}`,
      `${rnd(9)}E+${rnd(9)}`,
      `${rnd(9)}e-${rnd(9)}`,
      `${rnd(99)}.`,
      `.${rnd(99)}`,
      "1.5.3",
      "1e+5x",
      `${rnd(9)}x${rnd(9)}`,
      `0x${rnd(255).toString(16)}`,
      "9".repeat(70),
      `-${rnd(50)}`,
    ]);
  const name = () => pick(["t", "t1", "a$1", "c", "x.y1", "s1.t2", "sbtest", "k", "tab2"]);
  const texts: Array<() => string> = [
    () => `select c from sbtest where id = ${num()}`,
    () => `SELECT ${name()}, ${num()} + ${num()} FROM ${name()} WHERE ${name()} > ${num()} AND ${name()} < ${num()} LIMIT ${num()}`,
    () => `update ${name()} set c = ${num()} where id=${num()}`,
    () => `delete from ${name()} where ${name()}=${num()}`,
    () => `insert into ${name()} (a, b) values (${num()},${num()})`,
    () => `select * from ${name()} where ${name()} in (${num()}, ${num()}, ${num()})`,
    () => `set @x${num()} = ${num()}`,
    () => `select @${num()}, ${num()}${name()}, ${name()}${num()}, ${name()}.${num()}`,
    () => `select ${num()}-${num()}, ${num()}--${num()}`,
    () => `  select ${num()} from dual  `,
    () => `create procedure p${rnd(9)}() select ${num()}`,
    () => `select ${num()}; select ${num()}`,
    () => `drop table t${num()}`,
    () => `select '${num()}' from t where a = ${num()}`,
    () => `select a from t where b = ${num()} # ${num()}`,
  ];

  it("reads the shape of a plain statement as splitMysql does, and leaves every other text to it", () => {
    let plain = 0;
    for (let i = 0; i < 3000; i++) {
      const text = pick(texts)();
      const shape = plainShape(text);
      if (shape === null) continue;
      plain++;
      const split = splitMysql(text);
      expect(split.ok && split.statements.map((s) => [s.original, s.executable, s.shape]), text).toEqual([[text.trim(), text.trim(), shape]]);
    }
    expect(plain).toBeGreaterThan(1000);
    for (const text of [
      "select 'a'",
      'select "1"',
      "select `t1`",
      "select 1 -- x",
      "select 1 # x",
      "select 1 /* x */",
      "select 1; select 2",
      "select ?",
      "select 0x1f",
      `select ${"1".repeat(64)}`,
      "select 'é'",
      "select\u00a01",
    ])
      expect(plainShape(text), text).toBeNull();
  });

  it("are judged as each would be alone, with their own text, once their shape is known", () => {
    for (let i = 0; i < 3000; i++) {
      const text = pick(texts)();
      const version = pick([undefined, 101100]);
      expect(analyzeMysql(text, version), text).toEqual(analyzeMysqlUncached(text, version));
    }
  });
});

describe("a MySQL statement that reads other tables' rows runs a SELECT", () => {
  it("counts INSERT ... SELECT, CREATE TABLE ... SELECT and a multi-table UPDATE's join, not a plain write", () => {
    for (const text of [
      "insert into t select ssn from secrets",
      "create table y select ssn from secrets",
      "update t join secrets s on t.id = s.id set t.a = s.ssn",
      "replace into t select * from secrets",
    ])
      expect(one(text).runs, text).toContain("SELECT");
    for (const text of ["insert into t values (1)", "update t set a = 1 where id = 2", "delete from t where id = 3", "select * from secrets", "drop table secrets"])
      expect(one(text).runs, text).not.toContain("SELECT");
    // HANDLER's OPEN and READ read the table's rows (a rule on reading it refuses the OPEN, before any alias reads it); CLOSE does not.
    for (const text of ["handler secrets open as h", "handler secrets read first", "handler secrets read `PRIMARY` = (2)"]) expect(one(text).runs, text).toEqual(["SELECT"]);
    expect(one("handler h close").runs).toEqual([]);
    // Catalogs of sampled values read every table.
    for (const text of ["select * from mysql.column_stats", "select histogram from information_schema.column_statistics"]) expect(one(text).everyTableOf, text).toEqual(["*"]);
    expect(one("select * from information_schema.columns").everyTableOf).toBeUndefined();
  });
});
