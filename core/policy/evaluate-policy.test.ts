import { beforeAll, describe, expect, it } from "vitest";
import { StatementAnalyzer, loadSqlParser } from "../sql/statement-analyzer";
import { classifyStatement } from "./classify-statement";
import { evaluatePolicy } from "./evaluate-policy";
import { sqlCommand } from "./sql-commands";
import { policySchema } from "./policy";

beforeAll(() => loadSqlParser());
const analyzer = new StatementAnalyzer();

const policy = policySchema.parse({
  defaultAction: "allow",
  rules: [
    { name: "no-file-access", action: "deny", match: { functions: ["pg_read_file", "lo_import"] } },
    { name: "dba-may-ddl", action: "allow", groups: ["dba"], match: { classes: ["ddl"] } },
    { name: "drops-need-approval", action: "review", match: { kinds: ["DROP"] }, approvers: ["dba"] },
    { name: "no-bulk-writes", action: "deny", match: { writesWithoutWhere: true } },
    { name: "payments-read-only", action: "deny", match: { tables: ["billing.*"], classes: ["write", "ddl"] } },
    { name: "anonymous-code", action: "deny", match: { classes: ["anonymous-code"] } },
  ],
});

function decide(sql: string, groups: string[] = ["analysts"]) {
  const a = analyzer.analyze(sql);
  if (!a.ok) throw new Error(a.error);
  return a.statements.map((s) => evaluatePolicy(policy, { name: "agent-7", groups }, sqlCommand(classifyStatement(s), s.text))).map((d) => `${d.action}:${d.rule ?? "default"}`);
}

describe("[POLICY][EVALUATE] the first matching rule decides", () => {
  it.each([
    ["select * from users", "allow:default"],
    ["select pg_read_file('/etc/passwd')", "deny:no-file-access"],
    ["select PG_CATALOG.pg_read_file('/etc/passwd')", "deny:no-file-access"],
    ["DROP TABLE users", "review:drops-need-approval"],
    ["delete from orders", "deny:no-bulk-writes"],
    ["with x as (update orders set paid = true) select 1", "deny:no-bulk-writes"],
    ["update billing.invoices set amount = 0 where id = 1", "deny:payments-read-only"],
    ["select * from billing.invoices", "allow:default"],
    ["do $$ begin perform 1; end $$", "deny:anonymous-code"],
    ["select 'drop table users'", "allow:default"],
  ])("%s -> %s", (sql, expected) => {
    expect(decide(sql)).toEqual([expected]);
  });

  it("meets a setting it cannot name (set_config of an expression) with deny and review rules, not allow rules", () => {
    const settings = policySchema.parse({
      defaultAction: "review",
      rules: [
        { name: "may-set-timezone", action: "allow", match: { sessionSettings: ["timezone"] } },
        { name: "no-role-changes", action: "deny", match: { sessionSettings: ["role"] } },
      ],
    });
    const judge = (sql: string) => {
      const a = analyzer.analyze(sql);
      if (!a.ok) throw new Error(a.error);
      return evaluatePolicy(settings, { name: "agent-7", groups: [] }, sqlCommand(classifyStatement(a.statements[0]), sql)).rule;
    };
    expect(judge("select set_config('TimeZone', 'UTC', false)")).toBe("may-set-timezone");
    expect(judge("select set_config('role', 'admin', false)")).toBe("no-role-changes");
    expect(judge("select set_config(lower('ROLE'), 'admin', false)")).toBe("no-role-changes");
  });

  it("scopes rules to groups", () => {
    expect(decide("drop table users", ["dba"])).toEqual(["allow:dba-may-ddl"]);
  });

  it("rejects a policy with an invalid regular expression or an unknown condition", () => {
    expect(policySchema.safeParse({ rules: [{ name: "x", action: "deny", match: { regex: "(" } }] }).success).toBe(false);
    expect(policySchema.safeParse({ rules: [{ name: "x", action: "deny", match: { tabels: ["t"] } }] }).success).toBe(false);
  });
});

describe("[POLICY][KINDS] a kinds rule sees the statements a wrapper really runs", () => {
  const deletes = policySchema.parse({ defaultAction: "allow", rules: [{ name: "no-deletes", action: "deny", match: { kinds: ["DELETE"] } }] });
  const judge = (sql: string) => {
    const a = analyzer.analyze(sql);
    if (!a.ok) throw new Error(a.error);
    return a.statements.map((s) => evaluatePolicy(deletes, { name: "agent-7", groups: [] }, sqlCommand(classifyStatement(s), s.text)).action);
  };
  it.each([
    ["delete from t where id = 1", ["deny"]],
    ["explain analyze delete from t where id = 1", ["deny"]],
    ["prepare p as delete from t where id = 1", ["deny"]],
    ["with gone as (delete from t where id = 1 returning *) select * from gone", ["deny"]],
    ["explain delete from t", ["allow"]], // plans only
    ["select 'delete from t'", ["allow"]],
  ])("%s -> %j", (sql, expected) => expect(judge(sql)).toEqual(expected));
});
