import { describe, expect, it } from "vitest";
import { analyzeMysql } from "./classify-mysql";
import { mysqlSinks } from "../sql/mysql-sinks";
import { mysqlClassified } from "./mysql-classified.test-support";

const one = mysqlClassified;

describe("MySQL partitions and the administrative statements the grammar library lacks", () => {
  it("judges a partition's rows deleted by ALTER TABLE (TRUNCATE / DROP PARTITION) as TRUNCATE, every row, and what keeps them as the table's ALTER", () => {
    for (const text of [
      "alter table t truncate partition p0",
      "ALTER TABLE shop.t TRUNCATE PARTITION ALL",
      "alter table t drop partition p0",
      "alter table t drop partition p0, p1",
      "alter table t add column c int, truncate partition p1",
    ])
      expect(one(text), text).toMatchObject({ kind: "ALTER TABLE", runs: ["TRUNCATE"], writesWithoutWhere: true, classes: expect.arrayContaining(["ddl", "write"]) });
    for (const text of [
      "alter table t coalesce partition 2",
      "alter table t add partition (partition p3 values less than (30))",
      "alter table t analyze partition all",
      "alter table t rebuild partition p0, p1",
      "alter table t optimize partition all",
      "alter table t check partition p0",
      "alter table t repair partition p0",
      "alter table t remove partitioning",
      "alter table t discard partition p0 tablespace",
      "alter table t reorganize partition p0 into (partition a values less than (5), partition b values less than (10))",
      "alter table t reorganize partition p0, p1 into (partition a values in ((1, 2), (3, 4)))",
      "alter table t partition by hash(id) partitions 4",
      "alter table t partition by range (id) (partition p0 values less than (10), partition p1 values less than maxvalue)",
      "alter table t engine = InnoDB partition by key(id) partitions 2",
    ]) {
      const c = one(text);
      expect(c, text).toMatchObject({ kind: "ALTER TABLE", tables: ["t"], runs: [], writesWithoutWhere: false, classes: ["ddl"] });
    }
    // A partition bound that is a query is not a bound the server takes: unreadable, refused under a policy.
    expect(analyzeMysql("alter table t reorganize partition p0 into (partition a values less than ((select max(id) from vault)))").ok).toBe(false);
  });

  it("judges EXCHANGE PARTITION as a write of both tables without a WHERE, and masking as each table's rows moving into the other", () => {
    const c = one("ALTER TABLE shop.t EXCHANGE PARTITION p0 WITH TABLE `shop`.`vault` WITHOUT VALIDATION");
    expect(c).toMatchObject({ kind: "ALTER TABLE", tables: ["shop.t", "shop.vault"], writesWithoutWhere: true, classes: ["ddl", "write"] });
    expect(mysqlSinks("alter table parts exchange partition p0 with table cards")).toEqual([
      { kind: "rename", table: "parts", dest: null, reads: [{ table: "cards", column: "*" }], exchange: true },
      { kind: "rename", table: "cards", dest: null, reads: [{ table: "parts", column: "*" }], exchange: true },
    ]);
  });

  it("reads MySQL 8's TABLE t inside an INSERT and a UNION as the table's rows", () => {
    expect(one("insert into t2 table t")).toMatchObject({ kind: "INSERT", tables: ["t", "t2"] });
    expect(one("insert into t2 (a, b) table shop.vault")).toMatchObject({ kind: "INSERT", tables: ["shop.vault", "t2"] });
    expect(one("replace into t2 table vault")).toMatchObject({ kind: "REPLACE", tables: ["vault", "t2"], runs: expect.arrayContaining(["DELETE"]) });
    expect(one("select 1 union table vault").tables).toEqual(["vault"]);
    expect(one("select a from t union all table vault order by a").tables).toEqual(["t", "vault"]);
    // A column or function whose name starts with the word is not the keyword.
    expect(one("insert into t2 select table_name from information_schema.tables").tables).toEqual(["information_schema.tables", "t2"]);
  });

  it("names the key caches' tables, the server-wide statements and what CLONE and IMPORT TABLE touch", () => {
    expect(one("load index into cache t, shop.u partition (p0) index (i) ignore leaves")).toMatchObject({ kind: "LOAD INDEX", tables: ["t", "shop.u"], classes: ["utility"] });
    expect(one("cache index t index (a), `u` in hot_cache")).toMatchObject({ kind: "CACHE INDEX", tables: ["t", "u"], classes: ["utility"] });
    expect(one("show count(*) warnings")).toMatchObject({ kind: "SHOW", classes: ["utility"] });
    expect(one("SHOW COUNT( * ) ERRORS")).toMatchObject({ kind: "SHOW", classes: ["utility"] });
    expect(one("reset query cache")).toMatchObject({ kind: "RESET", classes: ["utility"] });
    for (const text of ["reset master", "RESET BINARY LOGS AND GTIDS", "reset replica all", "reset slave"]) expect(one(text), text).toMatchObject({ kind: "RESET", classes: ["ddl"] });
    expect(one("reset persist if exists max_connections")).toMatchObject({ kind: "RESET PERSIST", classes: ["ddl"], runs: ["SET GLOBAL"] });
    expect(one("alter instance rotate innodb master key")).toMatchObject({ kind: "ALTER INSTANCE", classes: ["ddl"] });
    // A copy of every table into a server folder; another server's data in place of this one's.
    expect(one("clone local data directory = '/tmp/x'")).toMatchObject({ kind: "CLONE", everyTableOf: ["*"], copiesServerFile: true });
    expect(one("clone instance from 'u'@'h':3306 identified by 'p'")).toMatchObject({ kind: "CLONE", everyTableOf: ["*"] });
    expect(one("import table from '/tmp/t.sdi'")).toMatchObject({ kind: "IMPORT TABLE", classes: ["ddl"], copiesServerFile: true });
    expect(one("signal sqlstate '45000' set message_text = 'x'")).toMatchObject({ kind: "SIGNAL", classes: ["utility"] });
    expect(one("resignal")).toMatchObject({ kind: "RESIGNAL" });
    // A SIGNAL whose message is a query reads a table the form does not name: unreadable, refused under a policy.
    expect(analyzeMysql("signal sqlstate '45000' set message_text = (select secret from vault)").ok).toBe(false);
  });
});
