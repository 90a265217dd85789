import { describe, expect, it } from "vitest";
import { firstLiteralRow, grammarForm, longInListsCut, tableFunctionsAsSubqueries } from "./mysql-grammar-form";
import { analyzeMysql } from "../policy/classify-mysql";
import { mysqlLineage } from "./mysql-columns";

const judged = (text: string) => {
  const a = analyzeMysql(text);
  if (!a.ok) throw new Error(a.error);
  const c = a.statements[0].classification;
  return { kind: c.kind, classes: c.classes, tables: c.tables, functions: c.functions, writesWithoutWhere: c.writesWithoutWhere, copiesServerFile: c.copiesServerFile };
};

describe("the MySQL statements the grammar library does not read, as judged", () => {
  it("drops hints and respells operators only outside quoted parts", () => {
    expect(grammarForm("select * from t use index (`PRIMARY`), u force key for join (a, b) where a <=> 'x<=>y' and b = 'use index (z)'")).toBe(
      "select * from t  , u   where a  =  'x<=>y' and b = 'use index (z)'",
    );
    expect(grammarForm("select `natural join`, 'for share' from t natural left outer join u for share of t, `u`")).toBe("select `natural join`, 'for share' from t  CROSS JOIN  u LOCK IN SHARE MODE");
    expect(grammarForm("SET NAMES utf8mb4 COLLATE 'utf8mb4_unicode_ci', @@SESSION.wait_timeout = 2147483")).toBe("SET names = '', @@SESSION.wait_timeout = 2147483");
    expect(grammarForm("select a || 'b||c' && `d||e`")).toBe("select a  OR  'b||c'  AND  `d||e`");
    // A lone SET NAMES is read by its keywords already; the rewrite is for the list that follows it.
    expect(grammarForm("SET NAMES utf8mb4")).toBe("SET NAMES utf8mb4");
  });

  it("reads what ORMs, frameworks and people send, with the tables and the WHERE a rule needs", () => {
    // ActiveRecord's first statement on every MySQL connection.
    const rails =
      "SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci, @@SESSION.sql_mode = CONCAT(REPLACE(REPLACE(REPLACE(@@sql_mode, 'STRICT_TRANS_TABLES', ''), 'STRICT_ALL_TABLES', ''), 'TRADITIONAL', ''), ',NO_AUTO_VALUE_ON_ZERO'), @@SESSION.sql_auto_is_null = 0, @@SESSION.wait_timeout = 2147483";
    expect(judged(rails)).toMatchObject({ kind: "SET", classes: ["session"], tables: [] });
    expect(judged("select * from customers c use index (primary) join orders o ignore key (idx) on o.cid <=> c.id")).toMatchObject({ kind: "SELECT", tables: ["customers", "orders"] });
    expect(judged("select high_priority sql_no_cache id from customers partition (p0, p1)")).toMatchObject({ kind: "SELECT", tables: ["customers"] });
    expect(judged("select * from customers natural join orders where name sounds like 'ann'")).toMatchObject({ tables: ["customers", "orders"] });
    expect(judged("table customers order by id limit 3")).toMatchObject({ kind: "SELECT", classes: ["read"], tables: ["customers"] });
    expect(judged("table customers into outfile '/tmp/x'")).toMatchObject({ copiesServerFile: true });
    expect(judged("do sleep(0), (select max(card) from secrets)")).toMatchObject({ kind: "DO", tables: ["secrets"], functions: expect.arrayContaining(["sleep", "max"]) });
    expect(judged("explain format=json select * from secrets")).toMatchObject({ kind: "EXPLAIN", tables: ["secrets"] });
    expect(judged("optimize no_write_to_binlog table `shop`.`customers`, orders")).toMatchObject({ kind: "OPTIMIZE TABLE", classes: ["utility"], tables: ["shop.customers", "orders"] });
    expect(judged("check table customers for upgrade")).toMatchObject({ kind: "CHECK TABLE", tables: ["customers"] });
    expect(judged("get diagnostics condition 1 @m = message_text, @s = returned_sqlstate")).toMatchObject({ kind: "GET DIAGNOSTICS", classes: ["session"], tables: [] });
    expect(analyzeMysql("get diagnostics @n = (select secret from vault)").ok).toBe(false);
    // Laravel's upsert on MySQL 8 (a row alias; MariaDB has none).
    expect(
      judged("insert into `users` (`email`, `name`) values (?, ?) as laravel_upsert_alias on duplicate key update `email` = `laravel_upsert_alias`.`email`, `name` = `laravel_upsert_alias`.`name`"),
    ).toMatchObject({ kind: "INSERT", classes: ["write"], tables: ["users"] });
    const upsert = analyzeMysql("insert into t (a) values (1) as new on duplicate key update a = new.a");
    expect(upsert.ok && upsert.statements[0].classification.runs).toEqual(["UPDATE"]);
    expect(judged("handler `shop`.`customers` open as h")).toMatchObject({ kind: "HANDLER", classes: ["read"], tables: ["shop.customers"] });
    expect(judged("handler h read idx next where load_file('/etc/passwd') is not null limit 1")).toMatchObject({ kind: "HANDLER", functions: ["load_file"] });
    expect(judged("handler h read first where id in (select id from secrets)").tables).toEqual(["h", "secrets"]);
    // A value list that is not plain values is not read (a call could hide in it).
    expect(analyzeMysql("handler h read idx = (load_file('x'))").ok).toBe(false);
    // JSON_TABLE: what its first argument reads and calls (the path and columns are literals and names).
    expect(
      judged("select * from json_table((select json_arrayagg(card) from secrets), '$[*]' columns (c varchar(40) path '$', nested path '$.a[*]' columns (d int path '$'))) as `j j`"),
    ).toMatchObject({
      kind: "SELECT",
      tables: ["secrets"],
      functions: ["json_arrayagg"],
    });
    expect(judged("select * from json_table(load_file('/etc/passwd'), '$' columns (a text path '$')) t").functions).toEqual(["load_file"]);
    expect(judged("delete from victims where id in (select x from json_table('[1]', '$[*]' columns (x int path '$')) j)")).toMatchObject({ kind: "DELETE", tables: ["victims"] });
    expect(judged("load xml local infile 'a.xml' replace into table `shop`.`users` rows identified by '<row>' (id, @n) set name = 'x'")).toMatchObject({
      kind: "LOAD XML",
      classes: ["write"],
      tables: ["shop.users"],
      copiesServerFile: false,
    });
    expect(judged("load xml infile '/srv/a.xml' into table users").copiesServerFile).toBe(true);
    // A SET that calls something is not read by keywords.
    expect(analyzeMysql("load xml infile 'a.xml' into table users (id) set name = load_file('/etc/passwd')").ok).toBe(false);
    expect(judged("xa commit 'tx1'")).toMatchObject({ kind: "XA", classes: ["transaction"] });
  });

  it("reads CHAR(n USING cs) as the CONVERT it amounts to, with what its codes read", () => {
    expect(judged("select char(ord(a), 78 using utf8mb4) as c from t")).toMatchObject({ kind: "SELECT", tables: ["t"], functions: ["convert", "char", "ord"] });
    expect(grammarForm("select 'char(1 using x)', char(77), varchar_col from t")).toBe("select 'char(1 using x)', char(77), varchar_col from t");
  });

  it("keeps what makes a write dangerous visible through the respelling", () => {
    // A locking read takes row locks, with or without OF.
    expect(judged("select * from customers for update of customers skip locked").classes).toContain("write");
    expect(judged("select * from customers for share nowait").classes).toContain("write");
    expect(judged("update victims use index (primary) set name = 'x' where id <=> id")).toMatchObject({ kind: "UPDATE", writesWithoutWhere: true });
    expect(judged("delete from victims partition (p0)")).toMatchObject({ kind: "DELETE", tables: ["victims"], writesWithoutWhere: true });
    expect(judged("delete from victims partition (p0) where id = 1").writesWithoutWhere).toBe(false);
    // MariaDB's ANALYZE <statement> and MySQL's EXPLAIN ANALYZE run the statement: judged as it, not as table maintenance.
    expect(judged("analyze delete from victims")).toMatchObject({ kind: "DELETE", classes: ["write"], tables: ["victims"], writesWithoutWhere: true });
    expect(judged("analyze format=json update victims set name = 'x'")).toMatchObject({ kind: "UPDATE", writesWithoutWhere: true });
    expect(judged("explain analyze select card from secrets")).toMatchObject({ kind: "SELECT", tables: ["secrets"] });
    expect(judged("analyze table victims")).toMatchObject({ kind: "ANALYZE TABLE", classes: ["utility"] });
    // A plain EXPLAIN of a write shows its plan and runs nothing.
    expect(judged("explain delete from victims where id in (select id from secrets)")).toMatchObject({ kind: "EXPLAIN", classes: ["utility"], tables: ["secrets", "victims"] });
    // A character set introducer before a literal (views' definitions and some drivers write them) leaves it a literal.
    expect(judged("select * from victims where name = _utf8mb4'ann' collate utf8mb4_bin")).toMatchObject({ kind: "SELECT", tables: ["victims"] });
    expect(judged("delete from victims where name = _latin1 0x616e6e || 1")).toMatchObject({ kind: "DELETE", writesWithoutWhere: true });
    // Not a character set: a column and its alias, as the server reads it; inside quotes, untouched.
    expect(grammarForm("select _foo 'x', '_utf8mb4''y' from t")).toBe("select _foo 'x', '_utf8mb4''y' from t");
    // A write's modifiers (IGNORE, LOW_PRIORITY, QUICK, DELAYED): the grammar read `UPDATE IGNORE victims` as a table named ignore.
    expect(judged("update ignore victims set name = 'x' where id = 1")).toMatchObject({ kind: "UPDATE", tables: ["victims"], writesWithoutWhere: false });
    expect(judged("update low_priority ignore victims v set v.name = 'x'")).toMatchObject({ kind: "UPDATE", tables: ["victims"], writesWithoutWhere: true });
    expect(judged("create procedure p() update ignore victims set name = 'x'")).toMatchObject({ kind: "CREATE PROCEDURE", tables: ["victims"] });
    expect(judged("delete low_priority quick ignore from victims")).toMatchObject({ kind: "DELETE", tables: ["victims"], writesWithoutWhere: true });
    expect(judged("insert low_priority ignore into victims values (1, 'a')")).toMatchObject({ kind: "INSERT", tables: ["victims"] });
    expect(judged("replace delayed into victims values (1, 'a')")).toMatchObject({ kind: "REPLACE", classes: ["write"], tables: ["victims"] });
    // SELECT's hint-only modifiers in any order (the server reads them there even where a column has that name); DISTINCT kept.
    expect(judged("select high_priority straight_join sql_small_result sql_buffer_result sql_calc_found_rows a.card from secrets a join victims b on a.id = b.id")).toMatchObject({
      kind: "SELECT",
      tables: ["secrets", "victims"],
    });
    expect(grammarForm("select distinct sql_no_cache 'update ignore t' from t")).toBe("SELECT distinct  'update ignore t' from t");
    // LOCK TABLE (singular), and a multi-table DELETE naming its targets as t.*.
    expect(judged("lock table `shop`.`victims` write, other read")).toMatchObject({ kind: "LOCK TABLES", tables: ["shop.victims", "other"] });
    expect(judged("unlock table").kind).toBe("UNLOCK TABLES");
    expect(judged("delete low_priority v.* from victims v")).toMatchObject({ kind: "DELETE", tables: ["victims"], writesWithoutWhere: true });
    expect(judged("delete shop.victims.*, o . * from shop.victims join other o on o.id = victims.id where o.id = 1")).toMatchObject({
      kind: "DELETE",
      tables: ["shop.victims", "other"],
      writesWithoutWhere: false,
    });
    expect(grammarForm("select 'delete t.* from' from t")).toBe("select 'delete t.* from' from t");
    // mysqldump --tab's export: how the file is written does not hide that it is written.
    expect(judged("SELECT SQL_NO_CACHE id INTO OUTFILE '/tmp/v.txt' CHARACTER SET binary FROM victims")).toMatchObject({ tables: ["victims"], copiesServerFile: true });
    expect(
      judged(`select * from secrets into outfile '/tmp/s.csv' character set utf8mb4 fields terminated by ',' optionally enclosed by '"' escaped by '\\\\' lines starting by '>' terminated by '\\n'`),
    ).toMatchObject({ tables: ["secrets"], copiesServerFile: true });
  });

  it("traces masked columns through the same statements", () => {
    const l = mysqlLineage("select upper(name) as n from customers use index (primary) where id <=> 1");
    expect(l).not.toBeNull();
    expect(l!.relations).toEqual(["customers"]);
    expect(l!.refs.map((r) => r.column)).toContain("name");
  });

  it("reads MariaDB's SET STATEMENT ... FOR as its statement when the settings read nothing", () => {
    expect(grammarForm("set statement max_statement_time = 5, sql_mode = 'a for b' for select concat(name, '-') from customers")).toBe("select concat(name, '-') from customers");
    const l = mysqlLineage("SET STATEMENT max_statement_time = 5 FOR select upper(name) as n from customers");
    expect(l!.relations).toEqual(["customers"]);
    // Settings that read something stay: the grammar cannot read the text, and masking refuses what it cannot trace.
    expect(grammarForm("set statement lc_messages = (select name from customers) for select 1")).toMatch(/^set statement/);
  });
});

describe("firstLiteralRow", () => {
  const rows = (n: number, row: (i: number) => string) => Array.from({ length: n }, (_, i) => row(i + 1)).join(",\n");
  const dumped = (i: number) => `(${i},'row ${i} \\'quoted\\' ),(x',${i}.25,'\\0',NULL,x'00ff',_binary 'ab',-1.5e3,0x1F)`;

  it("judges a long INSERT of literal rows by its first row, keeping what follows the rows", () => {
    const head = "INSERT INTO `shop`.`bulk` VALUES\n";
    expect(firstLiteralRow(head + rows(400, dumped))).toBe(head + dumped(1));
    const upsert = `insert ignore into bulk (id, label) values ${rows(400, (i) => `(${i}, 'x')`)} on duplicate key update label = values(label)`;
    expect(firstLiteralRow(upsert)).toBe("insert ignore into bulk (id, label) values (1, 'x') on duplicate key update label = values(label)");
    expect(judged(head + rows(400, dumped))).toMatchObject({ kind: "INSERT", tables: ["shop.bulk"], functions: [] });
  });

  it("keeps every row when a later one reads, calls or names anything", () => {
    for (const odd of ["(2, code)", "(2, x)", "(2, e)", "(2, now())", "(2, (select code from users limit 1))", "(2, @v)", "(2, 1 + id)"]) {
      const text = `insert into bulk (id, label) values ${rows(300, (i) => `(${i}, 'x')`)}, ${odd}`;
      expect(firstLiteralRow(text), odd).toBe(text);
    }
    const selected = `insert into bulk select * from other where label in (${rows(900, (i) => `'${i}'`)})`;
    expect(firstLiteralRow(selected)).toBe(selected);
  });
});

describe("longInListsCut", () => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => i * 7 + 3).join(", ");

  it("judges and traces a long IN list of literals by its first item", () => {
    const text = `select o.* from orders o where o.customer_id not in (${ids(2000)}) and o.note in ('a', _utf8mb4'b', NULL)`;
    expect(longInListsCut(text)).toBe("select o.* from orders o where o.customer_id not in (3) and o.note in ('a', _utf8mb4'b', NULL)");
    expect(judged(`delete from orders where id in (${ids(2000)})`)).toMatchObject({ kind: "DELETE", tables: ["orders"], writesWithoutWhere: false });
    // Whether a WHERE filters depends on its columns: a constant one stays unbounded.
    expect(judged(`delete from orders where 2 in (${ids(2000)}, 2)`)).toMatchObject({ kind: "DELETE", writesWithoutWhere: true });
  });

  it("keeps a list with anything but literals in it", () => {
    for (const odd of ["code", "(select code from users)", "now()", "@v", "1 + id"]) {
      const text = `select * from orders where id in (${ids(300)}, ${odd})`;
      expect(longInListsCut(text), odd).toBe(text);
    }
  });
});

describe("tableFunctionsAsSubqueries", () => {
  it("rewrites each closed JSON_TABLE, nested ones inside a rewritten one as they were, and leaves unclosed ones", () => {
    expect(tableFunctionsAsSubqueries("select * from json_table(doc, '$' columns (a int path '$')) j")).toBe("select * from (SELECT doc) j");
    expect(tableFunctionsAsSubqueries("select * from json_table(x, '$' columns (a int path '$')) j, json_table(")).toBe("select * from (SELECT x) j, json_table(");
    // A stall, not a speed figure: each unclosed call was scanned to the end of the text (200,000 of them: minutes).
    const started = performance.now();
    const open = `select ${"json_table(".repeat(200_000)}`;
    expect(tableFunctionsAsSubqueries(open)).toBe(open);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe("spellings of a query the grammar lacks", () => {
  it("reads each as its plain form, with the same columns, tables and WHERE", () => {
    expect(grammarForm("select substring(a from 2 for 3), mid(b from (select 1 from t)) from u")).toBe("select substring(a, 2, 3), mid(b, (select 1 from t)) from u");
    expect(grammarForm("select percentile_cont(0.5) within group (order by a desc) over () from t")).toBe("select percentile_cont(0.5, a) over () from t");
    expect(grammarForm("select a from t order by a offset 5 rows fetch next 10 rows only")).toBe("select a from t order by a LIMIT 10 OFFSET 5");
    expect(grammarForm("select a from t fetch first row with ties")).toBe("select a from t LIMIT 1");
    expect(judged("select sum(distinct secret), std(x) from vault")).toMatchObject({ kind: "SELECT", tables: ["vault"] });
    expect(judged("select a from t except all select secret from vault")).toMatchObject({ tables: ["t", "vault"] });
    expect(judged("select sum(a) over (order by b range between unbounded preceding and current row) from t")).toMatchObject({ tables: ["t"] });
    expect(judged("delete from t1, t2 using t1 join t2 on t1.id = t2.id where t1.a = 1")).toMatchObject({ kind: "DELETE", tables: ["t1", "t2"], writesWithoutWhere: false });
    expect(judged("insert into t value (1, 2)")).toMatchObject({ kind: "INSERT", tables: ["t"] });
    expect(judged("insert into t () values (), ()")).toMatchObject({ kind: "INSERT", tables: ["t"] });
    expect(judged("grant all privileges on shop.* to u@localhost")).toMatchObject({ kind: "GRANT", classes: ["privileges"] });
    expect(judged("create definer = 'root'@'%' sql security invoker view r (a) as select note from t union all select secret from vault")).toMatchObject({
      kind: "CREATE VIEW",
      tables: ["t", "vault", "r"],
    });
    expect(grammarForm("create view r as (select a from t)")).toBe("create view r as SELECT * FROM ((select a from t)) AS gatehouse_view");
    expect(grammarForm("create view r as select 'a union b' as x")).toBe("create view r as select 'a union b' as x");
    expect(judged("select cast(a as unsigned int), convert(b, signed integer), cast(c as inet6), cast(d as char(3) charset utf8mb4) from t")).toMatchObject({ tables: ["t"] });
    expect(judged("select * from vault for system_time as of timestamp now(6)")).toMatchObject({ tables: ["vault"] });
    expect(grammarForm("select group_concat(distinct c order by a separator ',' limit 1, 10) from t")).toBe("select group_concat(distinct c order by a separator ',' ) from t");
    expect(judged("select json_arrayagg(a order by b desc, (select secret from vault) limit 3) from t")).toMatchObject({ tables: ["vault", "t"] });
    expect(judged("delete from h for portion of app from '2020-01-01' to now()")).toMatchObject({ kind: "DELETE", tables: ["h"], writesWithoutWhere: true });
    expect(judged("update h for portion of app from '2020-01-01' to '2021-01-01' set v = 1 where id = 2")).toMatchObject({ kind: "UPDATE", tables: ["h"], writesWithoutWhere: false });
    // A column or a table with such a name is left alone.
    expect(grammarForm("create table STD (a int)")).toBe("create table STD (a int)");
    expect(grammarForm("select `range` from t where 'offset 1 rows' = x")).toBe("select `range` from t where 'offset 1 rows' = x");
  });
});
