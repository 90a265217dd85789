import { describe, expect, it } from "vitest";
import { analyzeMysql } from "./classify-mysql";
import { mysqlClassified } from "./mysql-classified.test-support";

const one = mysqlClassified;

describe("a MySQL statement on a whole database", () => {
  it("acts on every table of it, so a rule on its tables meets it; FLUSH TABLES names its tables", () => {
    // What acts on every table of a database acts on each (a rule on `vault.*` meets it); `*.*` and `*` (the session's database) on every table.
    for (const text of [
      "grant select on vault.* to u",
      "grant all privileges on `vault` . * to 'u'@'%' identified by 'pw'",
      "grant select on table vault.* to u",
      "revoke select on vault.* from u",
      "revoke all privileges on `vault`.* from 'u'@'%'",
      "drop database vault",
      "drop schema if exists `vault`",
    ])
      expect(one(text).everyTableOf, text).toEqual(["vault"]);
    for (const text of ["grant select on *.* to u", "grant select on * to u", "grant replication slave on *.* to r", "revoke insert on *.* from u"])
      expect(one(text).everyTableOf, text).toEqual(["*"]);
    for (const text of [
      "GRANT USAGE ON *.* TO u",
      "grant execute on procedure vault.p to u",
      "alter database vault character set utf8mb4",
      "create database vault2",
      "grant select on vault.keys to u",
    ])
      expect(one(text).everyTableOf, text).toBeUndefined();
    // FLUSH TABLES with a list locks (or readies for copying) those tables.
    expect(one("flush tables vault.keys, `shop`.`orders` with read lock")).toMatchObject({ kind: "FLUSH", tables: ["vault.keys", "shop.orders"] });
    expect(one("flush tables t for export")).toMatchObject({ kind: "FLUSH", tables: ["t"] });
    for (const text of ["flush tables", "flush tables with read lock", "flush logs"]) expect(one(text), text).toMatchObject({ kind: "FLUSH", tables: [] });
  });

  it("names what else a statement acts on: the table LIKE copies (reading none of its rows), a trigger's table, a dropped trigger's database, a table of other tables' rows", () => {
    expect(one("create table open.c like vault.keys")).toMatchObject({ kind: "CREATE TABLE", tables: ["open.c", "vault.keys"], runs: [] });
    expect(one("create table if not exists c (like `vault`.`keys`)")).toMatchObject({ tables: ["c", "vault.keys"], runs: [] });
    // A query after the name still reads (MySQL's CREATE TABLE ... SELECT).
    expect(one("create table c select * from vault.keys where a like b").runs).toEqual(["SELECT"]);
    expect(one("create definer=`root`@`%` trigger `tr` after update on `vault`.`keys` for each row begin insert into log values (1); end")).toMatchObject({
      kind: "CREATE TRIGGER",
      tables: ["vault.keys", "log"],
    });
    expect(one("create trigger if not exists t2 before delete on keys for each row set @a = 1").tables).toEqual(["keys"]);
    expect(one("drop trigger vault.tr").everyTableOf).toEqual(["vault"]);
    expect(one("drop trigger if exists tr").everyTableOf).toEqual(["*"]);
    // FEDERATED, MERGE, SPIDER, CONNECT tables hold other tables' rows (CONNECT also files'): judged as touching every table.
    expect(one("create table open.f (secret varchar(50)) engine=federated connection='mysql://u@127.0.0.1/vault/keys'")).toMatchObject({ everyTableOf: ["*"], copiesServerFile: false });
    expect(one("alter table t engine = connect")).toMatchObject({ everyTableOf: ["*"], copiesServerFile: true });
    expect(one("create table t (a int) engine=innodb").everyTableOf).toBeUndefined();
  });

  it("reads SHOW COLUMNS / INDEX FROM t FROM db as db's t, and a SHOW whose WHERE holds parentheses (a subquery) not at all", () => {
    expect(one("show columns from keys from vault").tables).toEqual(["vault.keys"]);
    expect(one("show full columns from `keys` in `vault` like 'a%'").tables).toEqual(["vault.keys"]);
    expect(one("show index from other.keys from vault").tables).toEqual(["vault.keys"]);
    expect(one("show columns from keys where field = 'a'").tables).toEqual(["keys"]);
    expect(one("show create view open.v").tables).toEqual(["open.v"]);
    expect(one("show triggers from vault")).toMatchObject({ kind: "SHOW", tables: [] });
    for (const text of ["show columns from keys where (select secret from vault.keys limit 1) = 'x'", "show index from keys where key_name = (select 1)"])
      expect(analyzeMysql(text).ok, text).toBe(false);
  });
});
