import { describe, expect, it } from "vitest";
import { analyzeMysql } from "./classify-mysql";

const one = (text: string) => {
  const a = analyzeMysql(text);
  if (!a.ok) throw new Error(a.error);
  return a.statements[0].classification;
};

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
});
