import { beforeAll, describe, expect, it } from "vitest";
import { StatementAnalyzer, loadSqlParser } from "../sql/statement-analyzer";
import { classifyStatement } from "./classify-statement";
import { evaluatePolicy } from "./evaluate-policy";
import { sqlCommand } from "./sql-commands";
import { withCallEffects, withEffects } from "./merge-classification";
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

function classify1(sql: string) {
  const a = analyzer.analyze(sql);
  if (!a.ok) throw new Error(a.error);
  return classifyStatement(a.statements[0]);
}

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

describe("[POLICY][ALLOW] an allow rule's kinds and tables cover the whole statement, not a part of it", () => {
  const readOnly = policySchema.parse({
    defaultAction: "deny",
    rules: [
      { name: "reads-ok", action: "allow", match: { kinds: ["SELECT"] } },
      { name: "reports-ok", action: "allow", match: { tables: ["public.reports", "public.reports_v"] } },
    ],
  });
  const judge = (sql: string) => {
    const a = analyzer.analyze(sql);
    if (!a.ok) throw new Error(a.error);
    return a.statements.map((s) => evaluatePolicy(readOnly, { name: "agent-7", groups: [] }, sqlCommand(classifyStatement(s), s.text)).rule ?? "default");
  };
  it.each([
    ["select * from t", "reads-ok"],
    ["with gone as (delete from t returning *) select * from gone", "default"],
    ["select * into copied from t", "default"],
    ["insert into t select * from public.reports", "default"],
    ["update public.reports set n = 0 where id = 1", "reports-ok"],
    ["update public.reports set n = (select n from public.secrets limit 1) where id = 1", "default"],
    ["delete from public.reports r using public.secrets s where r.id = s.id", "default"],
  ])("%s -> %s", (sql, rule) => expect(judge(sql)).toEqual([rule]));

  it("takes the tables a statement names itself (a view's readers pass a rule naming the view), and never code whose runs are unknown", () => {
    const a = analyzer.analyze("select * from public.reports_v");
    if (!a.ok) throw new Error(a.error);
    const viaView = { ...sqlCommand(classifyStatement(a.statements[0]), "select * from public.reports_v"), resources: ["public.reports_v", "public.secrets"], namedResources: ["public.reports_v"] };
    expect(evaluatePolicy(readOnly, { name: "agent-7", groups: [] }, viaView).rule).toBe("reads-ok");
    const onlyTables = policySchema.parse({ defaultAction: "deny", rules: [{ name: "reports-ok", action: "allow", match: { tables: ["public.reports_v"] } }] });
    expect(evaluatePolicy(onlyTables, { name: "agent-7", groups: [] }, { ...viaView, runs: ["DELETE"] }).rule).toBe("reports-ok");
    expect(evaluatePolicy(onlyTables, { name: "agent-7", groups: [] }, { ...viaView, unknownRuns: true }).rule).toBe(null);
    expect(evaluatePolicy(readOnly, { name: "agent-7", groups: [] }, { ...viaView, unknownRuns: true }).rule).toBe(null);
  });

  it("lets an allow rule vouch for the functions it names whose code cannot be read (an extension's C function), and for nothing else", () => {
    const vouching = policySchema.parse({
      defaultAction: "deny",
      rules: [{ name: "uuids-ok", action: "allow", match: { functions: ["uuid_generate_v4"], kinds: ["INSERT"], tables: ["public.orders"] } }],
    });
    const who = { name: "agent-7", groups: [] };
    const opaque = (text: string, called: string[]) =>
      withCallEffects(classify1(text), called, () => ({ why: "a c function whose code the gateway cannot read (VOLATILE: it may write)" })).classification;
    const insert = "insert into public.orders (id) values (uuid_generate_v4())";
    expect(evaluatePolicy(vouching, who, sqlCommand(opaque(insert, ["uuid_generate_v4"]), insert)).rule).toBe("uuids-ok");
    // Another unreadable function in the same statement, or unknown runs from elsewhere, are not vouched for.
    expect(evaluatePolicy(vouching, who, sqlCommand(opaque(insert, ["uuid_generate_v4", "other_c_fn"]), insert)).rule).toBe(null);
    const alsoDynamic = withEffects(opaque(insert, ["uuid_generate_v4"]), [{ who: "it runs", whose: "", found: { why: "SQL built at run time" } }]).classification;
    expect(alsoDynamic.unknownFrom).toBe(null);
    expect(evaluatePolicy(vouching, who, sqlCommand(alsoDynamic, insert)).rule).toBe(null);
  });
});
