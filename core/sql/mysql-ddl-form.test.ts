import { describe, expect, it } from "vitest";
import { ddlForm } from "./mysql-ddl-form";
import { analyzeMysql } from "../policy/classify-mysql";

const judged = (text: string) => {
  const a = analyzeMysql(text);
  if (!a.ok) throw new Error(a.error);
  const c = a.statements[0].classification;
  return { kind: c.kind, classes: c.classes, tables: c.tables, functions: c.functions };
};
const readable = (text: string) => analyzeMysql(text).ok;

describe("table definitions in the server's synonyms, as judged", () => {
  it("reads Django's, Hibernate's and hand-written column types and attributes as their plain forms", () => {
    const django =
      "CREATE TABLE `auth_user` (`id` integer AUTO_INCREMENT NOT NULL PRIMARY KEY, `is_superuser` bool NOT NULL, `rating` double precision NULL, `price` dec(10, 2), `uid` uuid, `n` national varchar(20) binary, `bio` text charset utf8mb4 binary, `x` real invisible, `h` int without system versioning, `g` int as (`n` + 1) persistent)";
    expect(judged(django)).toMatchObject({ kind: "CREATE TABLE", classes: ["ddl"], tables: ["auth_user"] });
    expect(ddlForm("create table t (id serial, b bool, c character varying(3), d nchar(2), e long varbinary, f middleint)")).toBe(
      "create table t (id BIGINT, b BOOLEAN, c VARCHAR(3), d CHAR(2), e MEDIUMBLOB, f MEDIUMINT)",
    );
    expect(
      judged("alter table `t` add column `b` bool, change `c` `d` double precision not null, modify `e` fixed(4, 1), alter column `f` set default 'x', drop column if exists `g`, force"),
    ).toMatchObject({
      kind: "ALTER TABLE",
      tables: ["t"],
    });
    expect(judged("create or replace table t (a int) engine=innodb page_compressed=1, encrypted=yes with system versioning")).toMatchObject({ kind: "CREATE TABLE", tables: ["t"] });
    expect(judged("drop table if exists a, b cascade")).toMatchObject({ kind: "DROP TABLE", tables: ["a", "b"] });
    expect(judged("drop tables a, b")).toMatchObject({ kind: "DROP TABLE", tables: ["a", "b"] });
    expect(judged("alter online table t add column b bool")).toMatchObject({ kind: "ALTER TABLE", tables: ["t"] });
    // ALTER TABLE ... ORDER BY (the rows rewritten in that order), alone or beside other changes; a query's ORDER BY is left alone.
    expect(judged("alter table shop.t engine = innodb, order by a desc, b")).toMatchObject({ kind: "ALTER TABLE", tables: ["shop.t"] });
    expect(ddlForm("create table t2 as select * from t order by c")).toBe("create table t2 as select * from t order by c");
    expect(judged("alter table t modify b varchar(10), algorithm = nocopy")).toMatchObject({ kind: "ALTER TABLE", tables: ["t"] });
    // MariaDB's periods: system-versioned and application-time tables.
    expect(
      judged(
        "create table h (id int, s timestamp(6) generated always as row start invisible, e timestamp(6) as row end, f date, g date, period for system_time (s, e), period for app (f, g), unique (id, app without overlaps)) with system versioning",
      ),
    ).toMatchObject({ kind: "CREATE TABLE", tables: ["h"] });
    for (const text of ["alter table h add period for app (f, g), add system versioning", "alter table h drop system versioning", "alter table h drop period for app"])
      expect(judged(text), text).toMatchObject({ kind: "ALTER TABLE", tables: ["h"] });
  });

  it("leaves names, quoted parts and a CREATE TABLE's query as they are", () => {
    for (const text of ["create table charset (charset int, `bool` int, serial int)", "create table STD (a int) comment 'real bool'", "create table t (a int) select uuid() as u, 'x dec' as d from u"])
      expect(ddlForm(text), text).toBe(text);
    expect(judged("create table t1 as with cte as (select uuid() as r from seq) select r from cte")).toMatchObject({ kind: "CREATE TABLE", tables: expect.arrayContaining(["t1", "seq"]) });
    // What the definition calls is still read.
    expect(judged("create table t (a bool default (sleep(1)))").functions).toContain("sleep");
  });

  it("leaves what may read or reach something unreadable (refused under a policy)", () => {
    for (const text of [
      "create table t (a int) union=(t1, t2) engine=merge",
      "alter table t alter column c set default (select 1), add b bool",
      // ALTER IGNORE deletes the rows a new unique key rejects: not read as a plain ALTER.
      "alter ignore table t add unique (a)",
    ])
      expect(readable(text), text).toBe(false);
  });
});
