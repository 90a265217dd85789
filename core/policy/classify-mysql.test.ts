import { describe, expect, it } from "vitest";
import { analyzeMysql } from "./classify-mysql";
import { splitMysql } from "../sql/mysql-lexer";

const kinds = (text: string) => {
  const a = analyzeMysql(text);
  if (!a.ok) throw new Error(a.error);
  return a.statements.map((s) => s.classification.kind);
};
const one = (text: string) => {
  const a = analyzeMysql(text);
  if (!a.ok) throw new Error(a.error);
  return a.statements[0].classification;
};

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
    expect(one("select load_file('/etc/passwd')").functions).toEqual(["load_file"]);
    expect(one("select * into outfile '/tmp/x' from t")).toMatchObject({ kind: "SELECT", copiesServerFile: true });
    expect(one("load data infile '/x' into table t")).toMatchObject({ kind: "LOAD DATA", copiesServerFile: true, classes: ["write"] });
    expect(one("set session sql_mode = ''").sessionSettings).toEqual(["sql_mode"]);
    expect(one("select a from t for update").classes).toEqual(["read", "write"]);
    expect(one("grant all on *.* to x").classes).toEqual(["privileges"]);
    expect(one("call p()").classes).toEqual(expect.arrayContaining(["anonymous-code", "write", "ddl"]));
  });

  it("judges PREPARE by what it prepares", () => {
    expect(one("prepare s from 'drop table t'")).toMatchObject({ kind: "PREPARE", runs: ["DROP TABLE"], classes: ["ddl"], prepares: "s" });
  });

  it("reads what the grammar lacks only where no table is named, and fails closed otherwise", () => {
    expect(one("SET NAMES utf8mb4")).toMatchObject({ kind: "SET", classes: ["session"] });
    const proc = one("CREATE PROCEDURE p() BEGIN DELETE FROM secrets; END");
    expect(proc.classes).toEqual(expect.arrayContaining(["ddl", "anonymous-code", "write"]));
    expect(proc).toMatchObject({ kind: "CREATE PROCEDURE", tables: ["secrets"] });
    expect(analyzeMysql("frobnicate the orders").ok).toBe(false);
  });
});
