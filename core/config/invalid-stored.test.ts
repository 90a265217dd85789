import { describe, expect, it } from "vitest";
import { maskingRulesSchema, storedMaskingRulesShape } from "../masking/masking-rules";
import { policySchema, storedPolicyShape } from "../policy/policy";
import { storedForForm } from "./invalid-stored";

describe("a stored document for the console's form", () => {
  const policy = (raw: unknown) => storedForForm(policySchema, storedPolicyShape, raw, "(policy)");
  const masking = (raw: unknown) => storedForForm(maskingRulesSchema, storedMaskingRulesShape, raw, "(rules)");

  it("is null with nothing stored, and parsed when it validates", () => {
    expect(policy(null)).toEqual({ value: null, unreadable: null });
    expect(policy({ rules: [{ name: "r", action: "deny", match: { regex: "drop\\s" } }] })).toEqual({
      value: { defaultAction: "allow", rules: [{ name: "r", action: "deny", match: { regex: "drop\\s" } }] },
      unreadable: null,
    });
  });

  it("refused only for a pattern: comes back as stored, defaults filled, with why", () => {
    expect(policy({ rules: [{ name: "r", action: "deny", match: { regex: "drop(?=\\s)" } }] })).toEqual({
      value: { defaultAction: "allow", rules: [{ name: "r", action: "deny", match: { regex: "drop(?=\\s)" } }] },
      unreadable: expect.stringMatching(/^rules\.0\.match\.regex: not supported \(/),
    });
    expect(masking({ detectors: { custom: [{ id: "twice", pattern: "(\\d)\\1" }] } })).toEqual({
      value: { columns: [], detectors: { custom: [{ id: "twice", pattern: "(\\d)\\1" }], style: "redact" }, exemptGroups: [] },
      unreadable: expect.stringMatching(/^detectors\.custom\.0\.pattern: not supported \(/),
    });
  });

  it("refused for anything else: no form value (a save replaces it), with why", () => {
    expect(policy({ rules: "drop everything" })).toEqual({ value: null, unreadable: expect.stringMatching(/^rules: /) });
    expect(masking({ columns: [{ column: "email" }], detectors: { custom: [{ id: "twice", pattern: "(\\d)\\1" }] } })).toEqual({
      value: null,
      unreadable: expect.stringContaining("columns.0.column: write table.column or schema.table.column"),
    });
  });
});
