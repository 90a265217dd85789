import { describe, expect, it } from "vitest";
import { budgetInput, budgetsFor, describeLimits, parseAmount, parseWindow, windowStartOf, type BudgetRule } from "./budget-rules";

const rule = (over: Partial<BudgetRule>): BudgetRule => ({
  id: "b",
  name: "b",
  subjectKind: "everyone",
  subject: "",
  connection: "*",
  maxRows: 1000,
  maxBytes: null,
  windowSeconds: 3600,
  onExceed: "refuse",
  warnPercent: 80,
  ...over,
});

describe("budget rules", () => {
  it("reads windows and amounts as people write them", () => {
    expect(parseWindow("1h")).toBe(3600);
    expect(parseWindow("30m")).toBe(1800);
    expect(parseWindow("1d")).toBe(86400);
    expect(parseWindow("900")).toBe(900);
    expect(() => parseWindow("10s")).toThrow(/between 1 minute/);
    expect(() => parseWindow("hourly")).toThrow(/not a duration/);
    expect(parseAmount("10k", "rows")).toBe(10_000);
    expect(parseAmount("1.5m", "rows")).toBe(1_500_000);
    expect(parseAmount("100MB", "bytes")).toBe(100_000_000);
    expect(parseAmount("1GiB", "bytes")).toBe(1024 ** 3);
    expect(() => parseAmount("0", "rows")).toThrow(/at least 1/);
    expect(() => parseAmount("lots", "rows")).toThrow(/not an amount/);
  });

  it("aligns windows to the clock", () => {
    const at = Date.UTC(2026, 11, 3, 12, 34, 56);
    expect(windowStartOf(3600, at)).toBe(Date.UTC(2026, 11, 3, 12));
    expect(windowStartOf(86400, at)).toBe(Date.UTC(2026, 11, 3));
    expect(describeLimits({ maxRows: 10000, maxBytes: 5_000_000, windowSeconds: 3600 })).toBe("10,000 rows and 5,000,000 bytes per hour");
  });

  it("binds an identity by name, by group and everyone, on the connections its pattern names", () => {
    const rules = [
      rule({ name: "a", subjectKind: "identity", subject: "etl" }),
      rule({ name: "g", subjectKind: "group", subject: "contractors", connection: "prod-*" }),
      rule({ name: "e", connection: "crm" }),
    ];
    expect(budgetsFor(rules, { name: "etl", groups: [] }, "crm").map((r) => r.name)).toEqual(["a", "e"]);
    expect(budgetsFor(rules, { name: "x", groups: ["contractors"] }, "prod-db").map((r) => r.name)).toEqual(["g"]);
    expect(budgetsFor(rules, { name: "x", groups: ["contractors"] }, "staging").map((r) => r.name)).toEqual([]);
  });

  it("refuses a budget with no limit or no subject", () => {
    expect(budgetInput.safeParse({ name: "n", subjectKind: "group", subject: "g", windowSeconds: 3600, onExceed: "refuse" }).success).toBe(false);
    expect(budgetInput.safeParse({ name: "n", subjectKind: "group", windowSeconds: 3600, onExceed: "refuse", maxRows: 5 }).success).toBe(false);
    expect(budgetInput.safeParse({ name: "n", subjectKind: "everyone", windowSeconds: 3600, onExceed: "review", maxRows: 5 }).success).toBe(true);
  });
});
