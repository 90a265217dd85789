import { describe, expect, it } from "vitest";
import { cliLines, errorsByField, toDraft, toRules, type RulesDraft } from "../../components/masking/rules-draft";
import { BUILT_IN_DETECTOR_IDS } from "../../core/masking/masking-rules";
import { checkMaskingRules, maskingIssueField } from "./check-masking-rules";
import { describeDetectors } from "./describe-detectors";

const ALL = BUILT_IN_DETECTOR_IDS;

describe("[MASKING][VALIDATE] the console checks rules with the gateway's schema, field by field", () => {
  it("accepts a valid document and fills the schema's defaults", () => {
    const r = checkMaskingRules({ columns: [{ column: "public.customers.email" }] });
    expect(r).toEqual({ ok: true, rules: { columns: [{ column: "public.customers.email", style: "redact" }], detectors: { custom: [], style: "redact" }, exemptGroups: [] } });
  });

  it("puts each issue under its row and field, with readable messages", () => {
    const r = checkMaskingRules({
      columns: [{ column: "customers.email" }, { column: "", style: "token" }, { column: "email", style: "scramble" }],
      detectors: {
        builtIn: ["payment-card", "nope"],
        custom: [
          { id: "Employee", pattern: "E-\\d{6}" },
          { id: "ok-id", pattern: "([unclosed" },
        ],
        style: "blur",
      },
      exemptGroups: [""],
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(Object.keys(r.fieldErrors).sort()).toEqual([
      "columns.1.column",
      "columns.2.column",
      "columns.2.style",
      "detectors.builtIn",
      "detectors.custom.0.id",
      "detectors.custom.1.pattern",
      "detectors.style",
      "exemptGroups",
    ]);
    expect(r.fieldErrors["columns.1.column"]).toBe("required");
    expect(r.fieldErrors["columns.2.column"]).toBe("write table.column or schema.table.column");
    expect(r.fieldErrors["detectors.custom.1.pattern"]).toBe("not a valid regular expression");
    expect(r.fieldErrors["detectors.custom.0.id"]).toBe("lower-case letters, digits and dashes");
    expect(r.message).toContain("column rule 3 pattern: write table.column or schema.table.column");
    expect(r.message).toContain("custom detector 2 pattern: not a valid regular expression");
  });

  it("refuses a custom detector named like a built-in one or like another, and keys the gateway does not know", () => {
    const clash = checkMaskingRules({
      detectors: {
        custom: [
          { id: "email", pattern: "x" },
          { id: "mine", pattern: "y" },
          { id: "mine", pattern: "z" },
        ],
      },
    });
    expect(clash.ok).toBe(false);
    if (!clash.ok) expect(clash.fieldErrors).toEqual({ "detectors.custom.0.id": '"email" is already a detector\'s name', "detectors.custom.2.id": '"mine" is already a detector\'s name' });
    const unknown = checkMaskingRules({ columns: [], colour: "red" });
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) expect(Object.keys(unknown.fieldErrors)).toEqual(["rules"]);
    expect(checkMaskingRules("mask everything").ok).toBe(false);
    expect(maskingIssueField(["columns", 0, "exemptGroups", 1])).toBe("columns.0.exemptGroups");
    expect(maskingIssueField(["detectors", "builtIn", 3])).toBe("detectors.builtIn");
  });

  it("describes every built-in detector in a line of its own", () => {
    const d = describeDetectors();
    expect(d.map((x) => x.id)).toEqual([...ALL]);
    for (const x of d) expect(x.description, x.id).not.toBe(x.label);
    expect(d.find((x) => x.id === "payment-card")!.description).toMatch(/Luhn-checked/);
  });
});

describe("[MASKING][FORM] the form's draft and the rules document", () => {
  const rules = {
    columns: [
      { column: "public.customers.email", style: "token" as const },
      { column: "*.card*", style: "partial" as const, exemptGroups: ["billing", "dpo"] },
    ],
    detectors: { builtIn: ["email", "payment-card"], custom: [{ id: "employee-id", pattern: "E-\\d{6}" }], style: "redact" as const },
    exemptGroups: ["auditors"],
  };

  it("round-trips a document through the draft, and the result passes the schema", () => {
    expect(toRules(toDraft(rules, ALL), ALL)).toEqual(rules);
    expect(checkMaskingRules(toRules(toDraft(rules, ALL), ALL))).toEqual({ ok: true, rules });
  });

  it("keeps JSON path rules (HTTP bodies), which the form does not edit, through a save", () => {
    const withPaths = {
      ...rules,
      paths: [
        { path: "$.customers[*].email", style: "token" as const },
        { path: "$..iban", style: "redact" as const, exemptGroups: ["dpo"] },
      ],
    };
    expect(toRules(toDraft(withPaths, ALL), ALL)).toEqual(withPaths);
    expect(checkMaskingRules(toRules(toDraft(withPaths, ALL), ALL))).toEqual({ ok: true, rules: withPaths });
  });

  it("starts a connection without rules with nothing ticked, and reads every box ticked as all built-in detectors", () => {
    const empty = toDraft(null, ALL);
    expect(toRules(empty, ALL)).toEqual({ columns: [], detectors: { builtIn: [], custom: [], style: "redact" }, exemptGroups: [] });
    const all: RulesDraft = { ...empty, builtIn: [...ALL].reverse() };
    expect(toRules(all, ALL).detectors).not.toHaveProperty("builtIn");
    expect(toDraft({ ...rules, detectors: { custom: [], style: "redact" } }, ALL).builtIn).toEqual([...ALL]);
    // Ticked in any order, listed in the gateway's order.
    expect(toRules({ ...empty, builtIn: ["payment-card", "email"] }, ALL).detectors.builtIn).toEqual(["email", "payment-card"]);
  });

  it("keeps empty rows so the server's issues point at the row on screen, and splits them per row", () => {
    const draft: RulesDraft = {
      ...toDraft(null, ALL),
      columns: [
        { column: "t.c", style: "redact", exemptGroups: " , " },
        { column: " ", style: "redact", exemptGroups: "" },
      ],
    };
    const doc = toRules(draft, ALL);
    expect(doc.columns).toEqual([
      { column: "t.c", style: "redact" },
      { column: "", style: "redact" },
    ]);
    const check = checkMaskingRules(doc);
    expect(check.ok).toBe(false);
    if (check.ok) return;
    const split = errorsByField({ ...check.fieldErrors, "detectors.custom.0.pattern": "bad", exemptGroups: "x" });
    expect(split.columns).toEqual({ 1: { column: "required" } });
    expect(split.custom).toEqual({ 0: { pattern: "bad" } });
    expect(split.top).toEqual({ exemptGroups: "x" });
  });

  it("gives the CLI lines that set the same rules, quoting an unusual connection name", () => {
    const lines = cliLines("pg-prod", rules).split("\n");
    expect(lines.at(-1)).toBe("npx gatehouse masking apply pg-prod -f masking.json");
    expect(JSON.parse(lines.slice(1, -2).join("\n"))).toEqual(rules);
    expect(cliLines("it's prod", rules).split("\n").at(-1)).toBe("npx gatehouse masking apply 'it'\\''s prod' -f masking.json");
  });
});
