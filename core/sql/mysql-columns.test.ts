import { describe, expect, it } from "vitest";
import { mayReturnRows, mysqlLineage, referencedColumns, tableFunctionAliases, viewColumns, viewFunctions } from "./mysql-columns";

describe("MySQL column lineage", () => {
  it("reads quoted and qualified references as names, aliases resolved to their tables", () => {
    expect(referencedColumns("select concat(`shop`.`users`.`code`, '') from `shop`.`users`")).toEqual([{ table: "shop.users", column: "code" }]);
    expect(referencedColumns("select `u`.`code` from users `u` where u.id = 1")).toEqual([
      { table: "users", column: "code" },
      { table: "users", column: "id" },
    ]);
    expect(referencedColumns("select * from v")).toEqual([{ table: "v", column: "*" }]);
    expect(referencedColumns("select from where")).toBeNull();
  });

  it("traces a column of an alias, a derived table or a CTE to what it reads", () => {
    const l = mysqlLineage("select x.c2, k, s.id from vv x join (select email as k from customers) t on true join (select * from users) s on true")!;
    expect(l.relations).toEqual(["vv", "customers", "users"]);
    expect(l.through("x", "c2")).toEqual([{ table: "vv", column: "c2" }]);
    // Unqualified, `email` may be any table's, or a column of any derived table with a `*` (over-reading masks more, never less).
    expect(l.through("t", "k")).toEqual([
      { table: null, column: "email" },
      { table: "users", column: "email" },
    ]);
    expect(l.through("s", "id")).toEqual([{ table: "users", column: "id" }]);
    expect(l.through("nope", "id")).toBeNull();
    const cte = mysqlLineage("with c (a) as (select code from users) select a from c")!;
    expect(cte.through("c", "a")).toEqual([{ table: null, column: "code" }]);
    // A derived table's expression the server names by its text: every output, not none.
    expect(mysqlLineage("select * from (select concat(code, '') from users) t")!.through("t", "concat(code,'')")).toEqual([{ table: null, column: "code" }]);
  });

  it("over-reads what it cannot place: a recursive CTE reads anything", () => {
    const l = mysqlLineage("with recursive r (n, e) as (select 1, code from users union all select n + 1, e from r where n < 3) select e from r")!;
    expect(l.through("r", "e")).toContainEqual({ table: null, column: "*" });
  });

  it("says when a text runs DDL or calls a procedure, and caches by shape", () => {
    expect(mysqlLineage("create view w as select 1; select * from w")!.ddl).toBe(true);
    expect(mysqlLineage("call p(1)")!.calls).toBe(true);
    expect(mysqlLineage("select code from users where id = 7")).toBe(mysqlLineage("select code from users where id = 8"));
  });

  it("tells a text that may return rows from one that only writes, without parsing it", () => {
    for (const t of ["select 1", "(select 1)", "/*!40001 SELECT */ 1", "with c as (select 1) select * from c", "call p()", "execute s", "insert into t values (1); delete from t returning id"])
      expect(mayReturnRows(t), t).toBe(true);
    for (const t of ["insert into t values (1), (2)", "update t set a = 1", "set names utf8mb4", "create view v as select 1"]) expect(mayReturnRows(t), t).toBe(false);
  });

  it("maps a view's normalised definition to what each of its columns reads", () => {
    expect(viewColumns("select `shop`.`customers`.`email` AS `contact`,concat(`shop`.`customers`.`name`,`shop`.`customers`.`email`) AS `both_` from `shop`.`customers`")).toEqual([
      { name: "contact", reads: [{ table: "shop.customers", column: "email" }] },
      {
        name: "both_",
        reads: [
          { table: "shop.customers", column: "name" },
          { table: "shop.customers", column: "email" },
        ],
      },
    ]);
    expect(viewColumns("select `c`.`id` AS `id`,`v`.`contact` AS `c2` from (`shop`.`customers` `c` join `shop`.`v`)")).toEqual([
      { name: "id", reads: [{ table: "shop.customers", column: "id" }] },
      { name: "c2", reads: [{ table: "shop.v", column: "contact" }] },
    ]);
    expect(viewColumns("select `t`.`k` AS `k` from (select `shop`.`customers`.`email` AS `k` from `shop`.`customers`) `t`")).toEqual([
      { name: "k", reads: [{ table: "shop.customers", column: "email" }] },
    ]);
    expect(viewColumns("select `a`.`x` AS `x` from `a` union select `b`.`y` AS `y` from `b`")).toEqual([
      {
        name: "x",
        reads: [
          { table: "a", column: "x" },
          { table: "b", column: "y" },
        ],
      },
    ]);
    // No definition (the account lacks SHOW VIEW) or one that cannot be read: null, and the caller masks the view whole.
    expect(viewFunctions("select `u`.`id` AS `id`,concat(`first_code`(),'') AS `f` from `shop`.`users` `u`")).toEqual({ columns: [[], ["concat", "first_code"]], elsewhere: [] });
    expect(viewFunctions("select `t`.`x` AS `x`,7 AS `y` from (select `first_code`() AS `x`) `t`")).toEqual({ columns: [[], []], elsewhere: ["first_code"] });
    expect(viewFunctions("select f() AS `a` union select g() AS `a`")).toEqual({ columns: [["f"]], elsewhere: ["g"] });
    expect(viewColumns("")).toBeNull();
    expect(viewColumns("select from")).toBeNull();
  });

  it("does not trust a reading the server does not share: `binary code` is the BINARY operator, not a column named binary", () => {
    expect(referencedColumns("select binary code from users")).toBeNull();
    // The grammar keeps no sign of quoting there: a column really named binary is unreadable too (masked as unknown).
    expect(referencedColumns("select `binary` code from users")).toBeNull();
  });

  it("finds the aliases of JSON_TABLE, which the grammar does not read", () => {
    expect([...tableFunctionAliases("select j.c from users, json_table(json_object('c', code), '$' columns (c text path '$.c')) j")]).toEqual(["j"]);
    expect([...tableFunctionAliases("select * from JSON_TABLE('[1]', '$[*]' columns (x int path '$', y text path ')')) as `T t`; select 1")]).toEqual(["t t"]);
    expect(tableFunctionAliases("select json_table from t").size).toBe(0);
  });
});
