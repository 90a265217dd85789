import { describe, expect, it } from "vitest";
import { emptyRule, errorsByRule, matchesEverything, toDraft, toPolicy } from "../../components/guardrails/rule-draft";
import { issueField, validatePolicy } from "./validate-policy";

describe("[GUARDRAILS][VALIDATE] the console checks a policy with the gateway's schema, field by field", () => {
  it("accepts a valid policy and fills the schema's defaults", () => {
    const r = validatePolicy({ rules: [{ name: "no-drops", action: "deny", match: { kinds: ["DROP"] } }] });
    expect(r).toEqual({ ok: true, policy: { defaultAction: "allow", rules: [{ name: "no-drops", action: "deny", match: { kinds: ["DROP"] } }] } });
  });

  it("puts each issue under its rule and field", () => {
    const r = validatePolicy({
      defaultAction: "maybe",
      rules: [
        { name: "ok", action: "allow", match: {} },
        { name: "", action: "deny", match: { regex: "([unclosed", classes: ["read", "nonsense"] } },
        { name: "slow", action: "review", match: {}, requiredApprovals: 9, timeoutSeconds: 1 },
      ],
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(Object.keys(r.fieldErrors).sort()).toEqual(["defaultAction", "rules.1.classes", "rules.1.name", "rules.1.regex", "rules.2.requiredApprovals", "rules.2.timeoutSeconds"]);
    expect(r.fieldErrors["rules.1.regex"]).toBe("not a valid regular expression");
    expect(r.message).toContain("rule 2 regex: not a valid regular expression");
    // The form's side of the contract: the same keys split into per-rule maps.
    const split = errorsByRule(r.fieldErrors);
    expect(Object.keys(split.rules[1]).sort()).toEqual(["classes", "name", "regex"]);
    expect(split.policy).toHaveProperty("defaultAction");
  });

  it("puts an issue inside a condition's JSON under that condition's field, not under the key's name", () => {
    const r = validatePolicy({
      rules: [
        { name: "tools", action: "deny", match: { kinds: ["write_file"], arguments: { path: "/etc/*" } } },
        { name: "http", action: "deny", match: { body: { mode: "force" } } },
      ],
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(Object.keys(r.fieldErrors).sort()).toEqual(["rules.0.arguments", "rules.1.body"]);
    const split = errorsByRule(r.fieldErrors);
    expect(split.rules[0].arguments).toContain("JSON pointer");
    expect(split.rules[1].request).toContain("JSON pointer");
  });

  it("refuses two rules with one name (reviews and the audit name the deciding rule)", () => {
    const r = validatePolicy({
      rules: [
        { name: "a", action: "deny", match: {} },
        { name: "a", action: "review", match: {} },
      ],
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.fieldErrors).toEqual({ "rules.1.name": expect.stringContaining('another rule is already named "a"') });
  });

  it("refuses match conditions the gateway does not know (strict), and a policy that is not an object", () => {
    const r = validatePolicy({ rules: [{ name: "x", action: "deny", match: { colour: "red" } }] });
    expect(r.ok).toBe(false);
    expect(validatePolicy("deny everything").ok).toBe(false);
    expect(issueField(["rules", 0, "match"])).toBe("rules.0.match");
    expect(issueField([])).toBe("policy");
  });
});

describe("[GUARDRAILS][FORM] the form's drafts and the policy document", () => {
  it("round-trips a policy through the form's drafts, leaving empty fields out", () => {
    const policy = {
      defaultAction: "deny" as const,
      rules: [
        { name: "reads", action: "allow" as const, groups: ["analysts"], match: { classes: ["read" as const], tables: ["public.*"] } },
        { name: "bulk", action: "review" as const, match: { writesWithoutWhere: true as const, regex: "^delete" }, approvers: ["dba"], requiredApprovals: 2, timeoutSeconds: 300 },
      ],
    };
    expect(toPolicy(policy.defaultAction, policy.rules.map(toDraft))).toEqual(policy);
    expect(validatePolicy(toPolicy("allow", [emptyRule(1)])).ok).toBe(true);
  });
  it("drops review-only fields from rules that do not review, and warns about catch-all rules", () => {
    const draft = { ...emptyRule(1), action: "deny" as const, approvers: "dba", requiredApprovals: "3" };
    expect(toPolicy("allow", [draft]).rules[0]).toEqual({ name: "rule-1", action: "deny", match: {} });
    expect(matchesEverything(draft)).toBe(true);
    expect(matchesEverything({ ...draft, kinds: " , " })).toBe(true);
    expect(matchesEverything({ ...draft, kinds: "DROP" })).toBe(false);
    expect(matchesEverything({ ...draft, groups: "dba" })).toBe(false);
  });
});
