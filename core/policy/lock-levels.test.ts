import { beforeAll, describe, expect, it } from "vitest";
import { StatementAnalyzer, loadSqlParser } from "../sql/statement-analyzer";
import { classifyStatement } from "./classify-statement";
import { evaluatePolicy } from "./evaluate-policy";
import { sqlCommand } from "./sql-commands";
import { atLeast, type LockLevel } from "./lock-levels";
import { policySchema } from "./policy";

beforeAll(() => loadSqlParser());
const analyzer = new StatementAnalyzer();

function locksOf(sql: string): LockLevel | null {
  const a = analyzer.analyze(sql);
  if (!a.ok) throw new Error(a.error);
  expect(a.statements).toHaveLength(1);
  return classifyStatement(a.statements[0]).locks;
}

// PostgreSQL's documented table lock per command ("Explicit Locking", table-level lock modes).
describe("[POLICY][LOCKS] the table lock a statement takes, from its parse tree", () => {
  it.each<[string, LockLevel | null]>([
    ["select * from t", "ACCESS SHARE"],
    ["select 1", null],
    ["copy t to stdout", "ACCESS SHARE"],
    ["select * from t for update", "ROW SHARE"],
    ["select * from t for share", "ROW SHARE"],
    ["insert into t values (1)", "ROW EXCLUSIVE"],
    ["update t set a = 1 where id = 2", "ROW EXCLUSIVE"],
    ["delete from t where id = 2", "ROW EXCLUSIVE"],
    ["merge into t using s on t.id = s.id when matched then delete", "ROW EXCLUSIVE"],
    ["copy t from stdin", "ROW EXCLUSIVE"],
    ["with gone as (delete from t returning *) select * from gone", "ROW EXCLUSIVE"],
    ["vacuum t", "SHARE UPDATE EXCLUSIVE"],
    ["vacuum (verbose) t", "SHARE UPDATE EXCLUSIVE"],
    ["analyze t", "SHARE UPDATE EXCLUSIVE"],
    ["create index concurrently i on t (a)", "SHARE UPDATE EXCLUSIVE"],
    ["reindex (concurrently) table t", "SHARE UPDATE EXCLUSIVE"],
    ["create statistics s on a, b from t", "SHARE UPDATE EXCLUSIVE"],
    ["comment on table t is 'x'", "SHARE UPDATE EXCLUSIVE"],
    ["alter table t set (autovacuum_enabled = false)", "SHARE UPDATE EXCLUSIVE"],
    ["alter table t alter column a set statistics 100", "SHARE UPDATE EXCLUSIVE"],
    ["alter table t validate constraint c", "SHARE UPDATE EXCLUSIVE"],
    ["alter table t cluster on i", "SHARE UPDATE EXCLUSIVE"],
    ["drop index concurrently i", "SHARE UPDATE EXCLUSIVE"],
    ["create index i on t (a)", "SHARE"],
    ["create trigger tr after insert on t for each row execute function f()", "SHARE ROW EXCLUSIVE"],
    ["alter table t add constraint fk foreign key (a) references u (id)", "SHARE ROW EXCLUSIVE"],
    ["alter table t disable trigger all", "SHARE ROW EXCLUSIVE"],
    ["refresh materialized view concurrently mv", "EXCLUSIVE"],
    ["refresh materialized view mv", "ACCESS EXCLUSIVE"],
    ["vacuum full t", "ACCESS EXCLUSIVE"],
    ["vacuum (full, analyze) t", "ACCESS EXCLUSIVE"],
    ["cluster t using i", "ACCESS EXCLUSIVE"],
    ["reindex table t", "ACCESS EXCLUSIVE"],
    ["reindex index i", "ACCESS EXCLUSIVE"],
    ["truncate t", "ACCESS EXCLUSIVE"],
    ["drop table t", "ACCESS EXCLUSIVE"],
    ["lock table t", "ACCESS EXCLUSIVE"],
    ["lock table t in share mode", "SHARE"],
    ["lock table t in row exclusive mode", "ROW EXCLUSIVE"],
    ["lock table t in access share mode", "ACCESS SHARE"],
    ["alter table t add column b int", "ACCESS EXCLUSIVE"],
    ["alter table t alter column a type bigint", "ACCESS EXCLUSIVE"],
    ["alter table t alter column a set statistics 5, add column c int", "ACCESS EXCLUSIVE"], // the strongest of its forms
    ["alter table t rename to u", "ACCESS EXCLUSIVE"],
    ["explain analyze update t set a = 1", "ROW EXCLUSIVE"],
    ["prepare p as delete from t", "ROW EXCLUSIVE"],
    ["do $$ begin perform 1; end $$", "ACCESS EXCLUSIVE"],
    ["set search_path = x", null],
    ["begin", null],
    ["create table n (a int)", null],
  ])("%s takes %s", (sql, level) => {
    expect(locksOf(sql)).toBe(level);
  });
});

describe("[POLICY][LOCKS] a `locks` rule matches that level or a stronger one", () => {
  const policy = policySchema.parse({
    defaultAction: "allow",
    rules: [
      { name: "no-table-rewrites", action: "review", match: { locks: "ACCESS EXCLUSIVE" } },
      { name: "index-builds", action: "deny", match: { locks: "SHARE" } },
    ],
  });
  const who = { name: "agent", groups: [] };
  const decide = (sql: string) => {
    const a = analyzer.analyze(sql);
    if (!a.ok) throw new Error(a.error);
    return evaluatePolicy(policy, who, sqlCommand(classifyStatement(a.statements[0]), sql)).action;
  };

  it("reviews VACUUM FULL, CLUSTER, REINDEX and a column type change, denies CREATE INDEX and CREATE TRIGGER, allows what locks less", () => {
    for (const sql of ["vacuum full t", "cluster t", "reindex table t", "alter table t alter column a type text", "refresh materialized view mv"]) expect(decide(sql), sql).toBe("review");
    for (const sql of ["create index i on t (a)", "create trigger tr after insert on t for each row execute function f()", "refresh materialized view concurrently mv"])
      expect(decide(sql), sql).toBe("deny");
    for (const sql of ["vacuum t", "create index concurrently i on t (a)", "update t set a = 1 where id = 1", "select * from t"]) expect(decide(sql), sql).toBe("allow");
  });

  it("refuses an unknown level in a policy", () => {
    expect(policySchema.safeParse({ defaultAction: "allow", rules: [{ name: "x", action: "deny", match: { locks: "TOTAL" } }] }).success).toBe(false);
  });

  it("orders the levels as PostgreSQL does", () => {
    expect(atLeast("ACCESS EXCLUSIVE", "SHARE")).toBe(true);
    expect(atLeast("ROW EXCLUSIVE", "SHARE")).toBe(false);
    expect(atLeast(null, "ACCESS SHARE")).toBe(false);
  });
});
