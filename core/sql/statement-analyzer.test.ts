import { beforeAll, describe, expect, it } from "vitest";
import { StatementAnalyzer, cacheKey, loadSqlParser } from "./statement-analyzer";

beforeAll(() => loadSqlParser());

describe("[SQL][ANALYZER] statements and kinds from the real parser", () => {
  const a = new StatementAnalyzer();
  const kinds = (q: string) => {
    const r = a.analyze(q);
    return r.ok ? r.statements.map((s) => [s.kind, s.text]) : r.error;
  };

  it("splits multi-statement texts, with unicode, into their own texts and kinds", () => {
    expect(kinds("select 'ü;'; insert into t values (1); drop table x")).toEqual([
      ["SELECT", "select 'ü;'"],
      ["INSERT", "insert into t values (1)"],
      ["DROP TABLE", "drop table x"],
    ]);
    expect(kinds("begin; explain analyze delete from t; commit")).toEqual([
      ["BEGIN", "begin"],
      ["EXPLAIN ANALYZE", "explain analyze delete from t"],
      ["COMMIT", "commit"],
    ]);
  });

  it("shares one cache entry between texts that differ only in numeric literals, keeping each text", () => {
    expect(cacheKey("SELECT abalance FROM t1 WHERE aid = 4711;")).toBe("SELECT abalance FROM t1 WHERE aid = 0000;");
    expect(kinds("select 1; update t2 set a = 12.5 where id = 99")).toEqual([
      ["SELECT", "select 1"],
      ["UPDATE", "update t2 set a = 12.5 where id = 99"],
    ]);
    expect(kinds("select 2; update t2 set a = 77.1 where id = 42")).toEqual([
      ["SELECT", "select 2"],
      ["UPDATE", "update t2 set a = 77.1 where id = 42"],
    ]);
  });

  it("zeroes exactly the numbers the regular expression it replaced zeroed, in random texts", () => {
    // The key as it was computed before the one-pass scanner: the reference.
    const PLAIN_TEXT = /^[A-Za-z0-9_\s.,;:()=<>!+*%|&^~@#[\]-]*$/;
    const NUMBER_LITERAL = /(?<![A-Za-z0-9_])\d+(?:\.\d+)?(?![A-Za-z0-9_])/g;
    const reference = (text: string) =>
      text.length > 4096 || !/^\s*(select|insert|update|delete|with|values|table)\b/i.test(text) || !PLAIN_TEXT.test(text) || text.includes("--")
        ? text
        : text.replace(NUMBER_LITERAL, (d) => "0".repeat(d.length));
    const pieces = ["1", "23", "0.5", ".", "7.", "x", "e", "_", "a1", " ", "\u00a0", "\t", "-", "--", "'", "$", "é", "(", ",", "=", "12.34.5", "9e9", "select "];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
    for (let n = 0; n < 20000; n++) {
      let text = n % 2 ? "select " : "update t set a=";
      for (let k = next() % 12; k > 0; k--) text += pieces[next() % pieces.length];
      expect(cacheKey(text), text).toBe(reference(text));
    }
    expect(cacheKey("select a1, 1.5x, x2.5, 3 from t9 where b = 4.25 and c in (1,2)")).toBe("select a1, 0.5x, x2.0, 0 from t9 where b = 0000 and c in (0,0)");
  });

  it("keys anything with quotes, comments, dollars or settings by its exact text", () => {
    for (const q of ["select '1'", "select 1 -- 2", "select 1 /* 2 */", "select $1", "set x = 1", "select e'\\\\1'"]) expect(cacheKey(q)).toBe(q);
  });

  it("reports texts the parser refuses", () => {
    expect(kinds("selec 1")).toBe('syntax error at or near "selec"');
  });
});
