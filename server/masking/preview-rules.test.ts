import { describe, expect, it } from "vitest";
import { DEFAULT_SAMPLES } from "../../components/masking/preview-samples";
import { AppError } from "../errors/app-error";
import { previewMaskingRules } from "./preview-rules";
import { summariseMaskingRules } from "./summarise-masking-rules";
import { maskingRulesSchema } from "../../core/masking/masking-rules";

const rules = {
  columns: [
    { column: "public.customers.email", style: "partial" },
    { column: "customers.name", exemptGroups: ["support"] },
    { column: "*.card*", style: "token" },
  ],
  detectors: { builtIn: ["payment-card"], custom: [{ id: "employee-id", pattern: "E-\\d{6}" }], style: "redact" },
  exemptGroups: ["dpo"],
};

const samples = (xs: Array<[string | null, string]>) => xs.map(([column, value]) => ({ column, value }));

describe("[MASKING][PREVIEW] the preview masks samples with the gateway's masker, on unsaved rules", () => {
  it("masks a Luhn-valid card and lets a 16-digit order number that fails Luhn pass", () => {
    const { rows, exemptBy } = previewMaskingRules(
      rules,
      samples([
        [null, "4111 1111 1111 1111"],
        [null, "order 4111111111111112"],
        [null, "by E-123456"],
      ]),
      [],
    );
    expect(exemptBy).toEqual([]);
    expect(rows[0]).toMatchObject({ masked: "[REDACTED:payment-card]", changed: true, because: "detector payment-card (redact)" });
    expect(rows[1]).toMatchObject({ masked: "order 4111111111111112", changed: false, because: "passes unchanged: no detector finds anything" });
    expect(rows[2].masked).toBe("by [REDACTED:employee-id]");
  });

  it("masks a named column whole in its rule's style, first match deciding", () => {
    const { rows } = previewMaskingRules(
      rules,
      samples([
        ["public.customers.email", "ann@example.com"],
        ["billing.cards.card_no", "4111 1111 1111 1111"],
        ["orders.note", "call ann"],
      ]),
      [],
    );
    expect(rows[0]).toMatchObject({ column: "public.customers.email", masked: "***@******e.com", because: "column rule public.customers.email masks the whole value (partial)" });
    expect(rows[1].masked).toMatch(/^tok_[a-z2-7]{16}$/);
    expect(rows[2]).toMatchObject({ changed: false, because: "passes unchanged: no column rule covers it and no detector finds anything" });
  });

  it("shows exemptions: a column rule's groups, and the connection's", () => {
    const asSupport = previewMaskingRules(rules, samples([["customers.name", "Zelda 4111111111111111"]]), ["support"]).rows[0];
    expect(asSupport.masked).toBe("Zelda [REDACTED:payment-card]"); // the rule does not apply, detectors still do
    expect(asSupport.because).toBe("column rule customers.name does not apply (exempt: support); detector payment-card (redact)");
    expect(previewMaskingRules(rules, samples([["customers.name", "Zelda"]]), []).rows[0].masked).toBe("[REDACTED]");
    const asDpo = previewMaskingRules(
      rules,
      samples([
        ["customers.name", "Zelda"],
        [null, "4111 1111 1111 1111"],
      ]),
      ["dpo", "x"],
    );
    expect(asDpo.exemptBy).toEqual(["dpo"]);
    expect(asDpo.rows.map((r) => [r.masked, r.because])).toEqual([
      ["Zelda", "exempt: members of dpo see results unmasked"],
      ["4111 1111 1111 1111", "exempt: members of dpo see results unmasked"],
    ]);
  });

  it("the form's pre-filled samples show a detector, a checksum and JSON", () => {
    const onlyCards = previewMaskingRules({ detectors: { builtIn: ["payment-card"] } }, DEFAULT_SAMPLES, []).rows;
    expect(onlyCards.map((r) => r.changed)).toEqual([false, true, false, false]);
    const withEmail = previewMaskingRules({ detectors: { builtIn: ["payment-card", "email"] } }, DEFAULT_SAMPLES, []).rows;
    expect(withEmail[0].masked).toBe("[REDACTED:email]");
    expect(withEmail[3].masked).toBe('{"customer": {"mail": "[REDACTED:email]"}, "plan": "pro"}');
    expect(JSON.parse(withEmail[3].masked)).toBeTruthy();
  });

  it("refuses invalid rules with each issue under its field, and a sample column that is not table.column", () => {
    const invalid = (() => {
      try {
        previewMaskingRules({ columns: [{ column: "email" }], detectors: { custom: [{ id: "x", pattern: "(" }] } }, samples([[null, "a"]]), []);
      } catch (e) {
        return e;
      }
    })();
    expect(invalid).toBeInstanceOf(AppError);
    expect((invalid as AppError).code).toBe("INVALID_INPUT");
    expect((invalid as AppError).fieldErrors).toEqual({ "columns.0.column": "write table.column or schema.table.column", "detectors.custom.0.pattern": "not a valid regular expression" });
    expect(() =>
      previewMaskingRules(
        rules,
        samples([
          ["t.c", "a"],
          ["email", "b"],
        ]),
        [],
      ),
    ).toThrow(expect.objectContaining({ fieldErrors: { "samples.1.column": expect.stringContaining("table.column") } }));
  });
});

describe("[MASKING][LIST] the list's summary of a connection's rules", () => {
  it("counts column rules and detectors, and says when nothing is masked", () => {
    expect(summariseMaskingRules(maskingRulesSchema.parse(rules))).toEqual({ columnRules: 3, builtIn: 1, custom: 1, detectorStyle: "redact", exemptGroups: ["dpo"], masksNothing: false });
    expect(summariseMaskingRules(maskingRulesSchema.parse({})).builtIn).toBe("all");
    expect(summariseMaskingRules(maskingRulesSchema.parse({ detectors: { builtIn: [] } })).masksNothing).toBe(true);
  });
});
