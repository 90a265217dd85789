import { describe, expect, it } from "vitest";
import { scannerCostTooHigh } from "./scanner-cost";
import { loadSqlParser, StatementAnalyzer } from "./statement-analyzer";

describe("scannerCostTooHigh", () => {
  it("lets through what clients write, operators in literals and comments included", () => {
    for (const t of [
      "select a + b - c * d / e from t where x <> y and z >= -1",
      `select '${"=".repeat(100_000)}'`,
      `select $body$${"+".repeat(100_000)}$body$`,
      `select E'\\'${"-".repeat(100_000)}'`,
      `-- ${"-".repeat(100_000)}\nselect 1`,
      `/* ${"=".repeat(800)} */ select 1`,
      `select "${"|".repeat(100_000)}" from t`,
      `insert into t values ${Array.from({ length: 20_000 }, (_, i) => `(${i}, -${i}, '@@')`).join(",")}`,
      `select s.t.c, "s"."t"."c", 1.5, t.* from s.t where s.t.c = 1.25 ${"and a.b.c = 2 ".repeat(5_000)}`,
      `set search_path = "${"a.".repeat(50_000)}"`,
    ])
      expect(scannerCostTooHigh(t), t.slice(0, 30)).toBe(false);
  });

  it("catches the runs PostgreSQL's scanner rereads, in code and after a comment opener", () => {
    for (const t of [
      `select ${"+".repeat(16_000)}1`,
      `select 1 ${"+-".repeat(8_000)} 1`,
      `select ${"/*".repeat(8_000)}`,
      `select 1 /* ${"/*".repeat(8_000)}`,
      `select ${"+".repeat(1_200)} 1;`.repeat(100),
    ])
      expect(scannerCostTooHigh(t), t.slice(0, 30)).toBe(true);
  });

  it("makes the analyzer refuse such a text without parsing it", async () => {
    await loadSqlParser();
    const a = new StatementAnalyzer().analyze(`select ${"/*".repeat(500_000)}`);
    expect(a).toEqual({ ok: false, error: expect.stringContaining("runs of operator characters or name parts") });
  });
});
