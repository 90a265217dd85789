import { describe, expect, it } from "vitest";
import { compileForGroups } from "./compile-rules";
import { maskJsonText } from "./json-masker";
import { maskingRulesSchema } from "./masking-rules";
import { ValueMasker } from "./value-masker";

const key = Buffer.alloc(32, 7);
const masker = (doc: unknown, groups: string[] = []) => {
  const compiled = compileForGroups(maskingRulesSchema.parse(doc), groups);
  if (!compiled) throw new Error("nothing to mask");
  return new ValueMasker(compiled, key);
};

describe("[MASKING][JSON] JSON bodies are masked in place", () => {
  it("masks detector hits in string values and keys, and keeps every other byte", () => {
    const m = masker({ detectors: { builtIn: ["email", "payment-card"] } });
    const text = '{ "id": 12345678901234567890, "email":"ann@example.com",\n  "notes": ["call bob@example.org", 1.5e3, true, null], "ann@example.com": {"card": 4111111111111111} }';
    const out = maskJsonText(text, m)!;
    expect(out).toBe('{ "id": 12345678901234567890, "email":"[REDACTED:email]",\n  "notes": ["call [REDACTED:email]", 1.5e3, true, null], "[REDACTED:email]": {"card": "[REDACTED:payment-card]"} }');
    expect(m.takeCounts()).toEqual({ email: 3, "payment-card": 1 });
    expect(maskJsonText('{"a": "nothing here"}', m)).toBeNull();
  });

  it("decodes escapes before the detectors look, and re-encodes what it replaces", () => {
    const m = masker({ detectors: { builtIn: ["email"] } });
    expect(maskJsonText('{"e":"ann\\u0040example.com","q":"say \\"hi\\" to x@y.io"}', m)).toBe('{"e":"[REDACTED:email]","q":"say \\"hi\\" to [REDACTED:email]"}');
  });

  it("masks values at JSON paths whole, containers with everything in them, with exemptions", () => {
    const rules = {
      detectors: { builtIn: [] },
      paths: [{ path: "$.customers[*].name", style: "partial" }, { path: "$..iban" }, { path: "$.secret", exemptGroups: ["dpo"] }],
    };
    const text = '{"customers":[{"name":"Ann Smith","iban":{"v":"x","n":5}},{"name":"Bob Jones"}],"name":"Shop","secret":42,"other":{"iban":"DE1"}}';
    expect(maskJsonText(text, masker(rules))).toBe(
      '{"customers":[{"name":"*** *mith","iban":{"v":"[REDACTED]","n":"[REDACTED]"}},{"name":"*** *ones"}],"name":"Shop","secret":"[REDACTED]","other":{"iban":"[REDACTED]"}}',
    );
    expect(maskJsonText(text, masker(rules, ["dpo"]))).not.toContain('"secret":"[REDACTED]"');
  });

  it("still scans text that is not JSON (a truncated document leaks nothing)", () => {
    const m = masker({ detectors: { builtIn: ["email"] } });
    expect(maskJsonText('{"a": "ann@example.com', m)).toBe('{"a": "[REDACTED:email]');
    expect(maskJsonText("<html>bob@example.org</html>", m)).toBe("<html>[REDACTED:email]</html>");
  });

  it("refuses paths it cannot read", () => {
    expect(maskingRulesSchema.safeParse({ paths: [{ path: "customers.email" }] }).success).toBe(false);
    expect(maskingRulesSchema.safeParse({ paths: [{ path: "$['odd key'][0]..x" }] }).success).toBe(true);
  });

  it("masks a large document whole (timing is measured by the benchmark, not here: this machine is shared)", () => {
    const m = masker({ detectors: {}, paths: [{ path: "$.rows[*].email" }] });
    const rows = Array.from({ length: 6000 }, (_, i) => ({
      id: i,
      email: `user${i}@example.com`,
      note: `order ${i} for customer ${i}, phone none`,
      card: i % 10 === 0 ? "4111 1111 1111 1111" : "n/a",
    }));
    const text = JSON.stringify({ rows });
    expect(text.length).toBeGreaterThan(512 * 1024);
    const out = maskJsonText(text, m)!;
    expect(out).not.toContain("@example.com");
    expect(out).not.toContain("4111 1111");
    expect(JSON.parse(out).rows).toHaveLength(6000);
  });
});
