import { describe, expect, it } from "vitest";
import { policySchema } from "../../core/policy/policy";
import { tryRequest } from "./try-request";
import { toDraft, toPolicy } from "../../components/guardrails/rule-draft";

const policy = policySchema.parse({
  defaultAction: "allow",
  rules: [
    { name: "no-customer-deletes", action: "deny", match: { kinds: ["DELETE /v1/customers/*"] } },
    { name: "forced-refunds", action: "review", match: { kinds: ["POST /v1/refunds"], body: { "/mode": "force" } } },
  ],
});
const who = { name: "agent-7", groups: [] };

describe("[GUARDRAILS][TRY] the try box judges HTTP requests as the proxy does", () => {
  it("judges method and path globs, JSON bodies and encoded paths", () => {
    const r = tryRequest(policy, who, 'DELETE /v1/cust%6fmers/42\nPOST /v1/refunds {"mode":"force"}\nGET /v1/customers/42');
    expect(r.parsed && r.statements.map((s) => [s.kind, s.action, s.rule])).toEqual([
      ["DELETE /v1/customers/42", "deny", "no-customer-deletes"],
      ["POST /v1/refunds", "review", "forced-refunds"],
      ["GET /v1/customers/42", "allow", null],
    ]);
    expect(r.verdict).toBe("deny");
    expect(tryRequest(policy, who, "POST /v1/refunds not-json").verdict).toBe("review");
    expect(tryRequest(policy, who, "GET /v1/%zz").verdict).toBe("deny");
    expect(tryRequest(policy, who, "DELETE /v1/other/%2e%2e/customers/7")).toMatchObject({ statements: [{ kind: "DELETE /v1/customers/7", action: "deny" }] });
  });

  it("keeps request conditions through the console form's drafts, and refuses text that is not JSON", () => {
    expect(toPolicy("allow", policy.rules.map(toDraft))).toEqual(policy);
    const broken = toPolicy("allow", [{ ...toDraft(policy.rules[1]), request: "{not json" }]);
    expect(policySchema.safeParse(broken).success).toBe(false);
  });
});
