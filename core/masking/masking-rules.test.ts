import { describe, expect, it } from "vitest";
import { validateMaskingRules } from "./masking-rules";
import { previewMasking } from "./preview-masking";
import { maskingRulesSchema } from "./masking-rules";

const rules = maskingRulesSchema.parse({
  columns: [
    { column: "public.customers.email", style: "token" },
    { column: "*.card*", style: "partial" },
    { column: "customers.name", exemptGroups: ["support"] },
  ],
  detectors: { custom: [{ id: "employee-id", pattern: "E-\\d{6}" }] },
  exemptGroups: ["dpo"],
});

describe("[MASKING][RULES] the rules document", () => {
  it("validates with readable issues", () => {
    expect(validateMaskingRules(rules).ok).toBe(true);
    const bad = validateMaskingRules({ columns: [{ column: "email" }, { column: "t.c", style: "scramble" }], detectors: { builtIn: ["nope"], custom: [{ id: "email", pattern: "(" }] } });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.issues.join("\n")).toMatch(/columns\.0\.column: write table\.column or schema\.table\.column/);
    expect(bad.issues.join("\n")).toMatch(/columns\.1\.style/);
    expect(bad.issues.join("\n")).toMatch(/detectors\.builtIn\.0/);
    expect(bad.issues.join("\n")).toMatch(/detectors\.custom\.0\.pattern: not a valid regular expression/);
    expect(validateMaskingRules({ columns: [], unknown: 1 }).ok).toBe(false);
  });

  it("previews what a member of some groups would see", () => {
    const [email, card, name, note, order] = previewMasking(rules, [
      { column: "public.customers.email", value: "ann@example.com" },
      { column: "billing.cards.card_number", value: "4111 1111 1111 1111" },
      { column: "customers.name", value: "Zelda Quixotic" },
      { value: "employee E-123456 wrote ann@example.com" },
      { value: "order 4111111111111112" },
    ]);
    expect(email.masked).toMatch(/^tok_[a-z2-7]{16}$/);
    expect(email.rule).toBe("public.customers.email");
    expect(card.masked).toBe("**** **** **** 1111");
    expect(name.masked).toBe("[REDACTED]");
    expect(note.masked).toBe("employee [REDACTED:employee-id] wrote [REDACTED:email]");
    expect(note.counts).toEqual({ "employee-id": 1, email: 1 });
    expect(order).toMatchObject({ changed: false, masked: "order 4111111111111112" });
    expect(previewMasking(rules, [{ column: "customers.name", value: "Zelda" }], ["support"])[0].masked).toBe("Zelda");
    expect(previewMasking(rules, [{ value: "ann@example.com" }], ["dpo"])[0].changed).toBe(false);
  });
});
