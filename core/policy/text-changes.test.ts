import { beforeAll, describe, expect, it } from "vitest";
import { loadSqlParser } from "../sql/statement-analyzer";
import { analyzeMysql } from "./classify-mysql";
import { analyzer, classified } from "./pg-classified.test-support";
import { userFunctions } from "./pg-routine-effects";
import { addMysqlChanges, addPgChanges, noChanges, withEarlierChanges } from "./text-changes";

beforeAll(() => loadSqlParser());

const pgChanges = (text: string) => {
  const a = analyzer.analyze(text);
  if (!a.ok) throw new Error(a.error);
  const changes = noChanges();
  for (const s of a.statements) addPgChanges(s, changes);
  return changes;
};
const mysqlChanges = (text: string) => {
  const a = analyzeMysql(text);
  if (!a.ok) throw new Error(a.error);
  const changes = noChanges();
  for (const s of a.statements) addMysqlChanges(s.classification, s.executable, changes);
  return changes;
};

describe("what earlier statements of a text change for later ones", () => {
  it("Postgres: views, a trigger's, rule's or altered table, a partition, renames, functions, extensions, event triggers", () => {
    expect([...pgChanges("create or replace view s.v as select * from secrets").relations]).toEqual(["v"]);
    expect([...pgChanges("create materialized view mv as select * from secrets").relations]).toEqual(["mv"]);
    expect([...pgChanges("create table t2 as select * from secrets").relations]).toEqual([]);
    expect([...pgChanges("create table fresh (id int default now())").relations]).toEqual([]);
    expect([...pgChanges("create table p2 partition of payments for values in ('x')").relations].sort()).toEqual(["p2", "payments"]);
    expect([...pgChanges("create trigger tr before insert on jobs for each row execute function f()").relations]).toEqual(["jobs"]);
    expect([...pgChanges("alter table payments attach partition old for values in ('y')").relations].sort()).toEqual(["old", "payments"]);
    expect([...pgChanges("alter view v rename to w").relations].sort()).toEqual(["v", "w"]);
    expect([...pgChanges("create function s.purge() returns int language sql as 'select 1'; alter function f() rename to g").functions].sort()).toEqual(["f", "g", "purge"]);
    expect(pgChanges("create extension dblink").anyFunction).toBe(true);
    expect(pgChanges("create event trigger e on ddl_command_end execute function f()").eventTriggers).toBe(true);
    expect(pgChanges("select 1; insert into t values (1); create index on t (id); comment on table t is 'x'")).toEqual(noChanges());
  });

  it("MySQL: views, renamed and altered tables (with what a new foreign key references), any routine", () => {
    expect([...mysqlChanges("create or replace view v as select * from secrets").relations].sort()).toEqual(["secrets", "v"]);
    expect([...mysqlChanges("alter table owned add foreign key (o) references `shop`.`owners` (id) on delete cascade").relations].sort()).toEqual(["owned", "owners"]);
    expect([...mysqlChanges("create trigger tr after insert on shop.jobs for each row delete from victims").relations]).toEqual(["jobs"]);
    expect(mysqlChanges("create function f() returns int return 1").anyFunction).toBe(true);
    expect(mysqlChanges("create table t (id int); insert into t values (1)")).toEqual(noChanges());
  });

  it("judges a later statement that uses what changed as code the gateway cannot see, and leaves the rest", () => {
    const changes = pgChanges("create view v as select * from secrets; create function evil() returns int language sql as 'select 1'");
    const used = withEarlierChanges(classified("select * from v"), changes, (c) => userFunctions(c.functions));
    expect(used.classification).toMatchObject({ unknownRuns: true, everyTableOf: ["*"] });
    expect(used.note).toContain("it uses v, which an earlier statement of this text creates or changes");
    expect(withEarlierChanges(classified("select evil()"), changes, (c) => userFunctions(c.functions)).note).toContain("it uses evil");
    const other = classified("select * from t where upper(x) = 'A'");
    expect(withEarlierChanges(other, changes, (c) => userFunctions(c.functions).filter((f) => f !== "upper")).classification).toBe(other);
    // Changed event triggers reach later DDL only.
    const events = pgChanges("create event trigger e on ddl_command_end execute function f()");
    expect(withEarlierChanges(classified("create table x (id int)"), events, () => [], true).note).toContain("it uses the event triggers");
    expect(withEarlierChanges(classified("select 1"), events, () => [], false).classification).toEqual(classified("select 1"));
  });
});
