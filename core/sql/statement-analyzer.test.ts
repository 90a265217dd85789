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

  it("keys anything with quotes, comments, dollars or settings by its exact text", () => {
    for (const q of ["select '1'", "select 1 -- 2", "select 1 /* 2 */", "select $1", "set x = 1", "select e'\\\\1'"]) expect(cacheKey(q)).toBe(q);
  });

  it("reports texts the parser refuses", () => {
    expect(kinds("selec 1")).toBe('syntax error at or near "selec"');
  });
});
