import { describe, expect, it } from "vitest";
import { linearPattern, linearPatternProblem } from "./linear-pattern";
import { fuzzSeed, rng, type Rng } from "../../e2e/support/seeded-rng";

/**
 * A random pattern from the syntax JavaScript and RE2 share. A repeated group never matches empty:
 * how an empty iteration ends a loop is where the two engines differ (`(?:\b|a)*?` and the like),
 * which changes no real pattern's matches. Under a repeat with no bound a group repeats nothing
 * inside (`plain`): JavaScript's engine, the reference, backtracks, and nested repeats such as
 * `(?:(?:.{1,3})+)+?` took it 42 s on one 18-character text (seed 789084); the test below checks
 * nested repeats on short texts instead.
 */
function randomPattern(r: Rng, inGroup = 0, plain = false): string {
  const atoms = ["a", "b", "A", " ", ".", "[ab]", "[^a]", "\\s", "\\w", "\\d", "1", "\\."];
  let out = "";
  const n = 1 + r.int(4);
  for (let i = 0; i < n; i++) {
    if (!inGroup && r.int(8) === 0) out += r.pick(["\\b", "^", "$"]);
    const group = inGroup < 2 && r.int(4) === 0;
    const repeat = plain ? "" : r.pick(inGroup ? ["", "+", "{1,3}", "+?"] : ["", "", "*", "+", "?", "{1,3}", "*?", "+?"]);
    const inside = plain || /[*+]/.test(repeat);
    const atom = group ? `(?:${randomPattern(r, inGroup + 1, inside)}${r.int(2) ? `|${randomPattern(r, inGroup + 1, inside)}` : ""})` : r.pick(atoms);
    out += atom + repeat;
  }
  return out;
}

/** What the gateway did before: JavaScript's RegExp, every non-empty match left to right. */
function jsSpans(source: string, text: string): Array<{ start: number; end: number }> {
  const re = new RegExp(source, "gi");
  const out: Array<{ start: number; end: number }> = [];
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[0].length === 0) re.lastIndex++;
    else out.push({ start: m.index, end: m.index + m[0].length });
  }
  return out;
}

describe("an admin's pattern (linear-pattern.ts)", () => {
  it("finds what JavaScript's RegExp found, on 5,000 random patterns, four texts each", () => {
    const r = rng(fuzzSeed());
    for (let i = 0; i < 5_000; i++) {
      const source = randomPattern(r);
      for (let j = 0; j < 4; j++) {
        const text = Array.from({ length: r.int(16) }, () => r.pick(["a", "A", "b", " ", ".", "1", "\n", "é", "ab"])).join("");
        expect(linearPattern(source).spans(text), JSON.stringify({ source, text })).toEqual(jsSpans(source, text));
        expect(linearPattern(source).test(text), JSON.stringify({ source, text })).toBe(new RegExp(source, "i").test(text));
      }
    }
  });

  it("finds what JavaScript's RegExp found for nested repeats, on short texts", () => {
    const r = rng(fuzzSeed());
    const patterns = ["(?:a+)+b", "(?:(?:.{1,3})+)+?\\.", "(?:a|A)+$", "(?:[ab]+1?)+?c", "^(?:\\w+\\s?)*$", "(?:a*b)+?(?:ab)+", "(?:(?:a|b)+\\d)+"];
    for (const source of patterns) {
      for (let j = 0; j < 300; j++) {
        const text = Array.from({ length: r.int(9) }, () => r.pick(["a", "A", "b", " ", ".", "1", "c", "ab"])).join("");
        expect(linearPattern(source).spans(text), JSON.stringify({ source, text })).toEqual(jsSpans(source, text));
        expect(linearPattern(source).test(text), JSON.stringify({ source, text })).toBe(new RegExp(source, "i").test(text));
      }
    }
  });

  it("gives offsets into the JavaScript string past characters outside the BMP", () => {
    expect(linearPattern("cust-\\d+").spans("😀 é CUST-42 😀cust-7")).toEqual([
      { start: 5, end: 12 },
      { start: 15, end: 21 },
    ]);
  });

  it("says why it refuses a pattern: invalid, or in need of backtracking", () => {
    expect(linearPatternProblem("(")).toBe("not a valid regular expression");
    expect(linearPatternProblem("drop\\s+table")).toBeNull();
    expect(linearPatternProblem("\\u00e9|(?<word>x)")).toBeNull();
    for (const s of ["a(?=b)", "a(?!b)", "(?<=a)b", "(?<!a)b", "(a)\\1"]) expect(linearPatternProblem(s), s).toMatch(/^not supported \(.+\): patterns run in time linear in the text/);
    expect(() => linearPattern("a(?=b)")).toThrow(/pattern "a\(\?=b\)": not supported/);
  });
});
