import { beforeAll, describe, expect, it } from "vitest";
import { StatementAnalyzer, loadSqlParser } from "../sql/statement-analyzer";
import { SqlSession } from "./sql-commands";
import { evaluatePolicy } from "./evaluate-policy";
import { policySchema } from "./policy";
import { parseSearchPath, startupSearchPath } from "./search-path";

beforeAll(() => loadSqlParser());

describe("[POLICY][SEARCH PATH] unqualified tables under the session's search_path", () => {
  it("reads search_path values and start-up parameters as PostgreSQL does", () => {
    expect(parseSearchPath('"$user", public', "app")).toEqual(["app", "public"]);
    expect(parseSearchPath('Billing, "Odd ""Name""",x', "app")).toEqual(["billing", 'Odd "Name"', "x"]);
    expect(parseSearchPath("a b", "app")).toBeNull();
    expect(startupSearchPath({ search_path: "billing" }, "app")).toEqual(["billing"]);
    expect(startupSearchPath({ options: "-c statement_timeout=5 -c search_path=billing,public" }, "app")).toEqual(["billing", "public"]);
    expect(startupSearchPath({ options: "--search_path=a\\,b" }, "app")).toEqual(["a", "b"]);
    expect(startupSearchPath({ options: "-c geqo=off" }, "app")).toBeUndefined();
  });

  it("judges a name by every schema it may be in: the path followed through SET, RESET and set_config", () => {
    const policy = policySchema.parse({
      defaultAction: "allow",
      rules: [
        { name: "billing-read-only", action: "deny", match: { tables: ["billing.*", "public.ledger"], classes: ["write"] } },
        { name: "sandbox-ok", action: "allow", match: { tables: ["sandbox.*"] } },
      ],
    });
    const session = new SqlSession(new StatementAnalyzer(), { user: "app" });
    const judge = (sql: string) => {
      const r = session.commands(sql);
      if (!r.ok) throw new Error(r.error);
      return r.statements.map((s) => evaluatePolicy(policy, { name: "a", groups: [] }, s.command).rule ?? "default");
    };
    expect(judge("update ledger set amount = 0 where id = 1")).toEqual(["billing-read-only"]);
    expect(judge("update invoices set amount = 0 where id = 1")).toEqual(["default"]);
    expect(judge("set search_path = billing, public; update invoices set amount = 0 where id = 1")).toEqual(["default", "billing-read-only"]);
    expect(judge("select * from invoices")).toEqual(["default"]);
    expect(judge("reset search_path; update invoices set amount = 0 where id = 1")).toEqual(["default", "default"]);
    // A path the gateway cannot follow: any schema, for deny and review rules; an allow rule needs the name as written.
    expect(judge("select set_config('search_path', current_setting('x.p'), false); update invoices set amount = 0 where id = 1")).toEqual(["default", "billing-read-only"]);
    expect(judge("drop table things")[0]).toBe("default");
    for (const change of ["do $$ begin perform set_config('search_path', 'billing', false); end $$", "set role billing_owner"]) {
      judge("reset search_path");
      expect(judge(`${change}; update invoices set amount = 0 where id = 1`)[1], change).toBe("billing-read-only");
    }
    const fresh = new SqlSession(new StatementAnalyzer(), { user: "app", searchPath: ["sandbox", "public"] });
    const r = fresh.commands("drop table things");
    expect(r.ok && evaluatePolicy(policy, { name: "a", groups: [] }, r.statements[0].command).rule).toBe(null);
  });

  it("meets deny and review rules on any table with what reads a whole schema or database (schema_to_xml, database_to_xml); allow rules do not", () => {
    const policy = policySchema.parse({
      defaultAction: "deny",
      rules: [
        { name: "no-vault", action: "deny", match: { tables: ["vault.*"] } },
        { name: "no-cards", action: "review", match: { tables: ["cards"] } },
        { name: "public-ok", action: "allow", match: { tables: ["public.*"] } },
      ],
    });
    const session = new SqlSession(new StatementAnalyzer(), { user: "app" });
    const judge = (sql: string) => {
      const r = session.commands(sql);
      if (!r.ok) throw new Error(r.error);
      return evaluatePolicy(policy, { name: "a", groups: [] }, r.statements[0].command).rule ?? "default";
    };
    expect(judge("select database_to_xml(true, false, '')")).toBe("no-vault");
    expect(judge("select schema_to_xml('vault', true, false, '')")).toBe("no-vault");
    expect(judge("select schema_to_xml('public', true, false, '')")).toBe("no-cards");
    expect(judge("select table_to_xml('vault.keys', true, false, '')")).toBe("no-vault");
    expect(judge("select query_to_xml('select * from cards', true, false, '')")).toBe("no-cards");
    expect(judge("select * from public.orders")).toBe("public-ok");
  });
});
