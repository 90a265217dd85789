import { beforeAll, describe, expect, it } from "vitest";
import { loadSqlParser, StatementAnalyzer } from "./statement-analyzer";
import { statementLineage } from "./column-lineage";

beforeAll(() => loadSqlParser());
const analyzer = new StatementAnalyzer();
const lineage = (sql: string) => {
  const a = analyzer.analyze(sql);
  if (!a.ok) throw new Error(a.error);
  return statementLineage(a.statements[0].tree);
};
const readsOfOutput = (sql: string, i: number) =>
  lineage(sql)!
    .outputs[i].reads.map((r) => `${r.table ?? "?"}.${r.column}`)
    .sort();

describe("[SQL][LINEAGE] which source columns an output column reads", () => {
  it("traces expressions, aliases and qualified names", () => {
    expect(readsOfOutput("select md5(u.email) as h, 1 from users u", 0)).toEqual(["users.email"]);
    expect(readsOfOutput("select md5(u.email) as h, 1 from users u", 1)).toEqual([]);
    expect(readsOfOutput("select translate(card, '0123', 'abcd') from public.cards", 0)).toContain("?.card");
    expect(readsOfOutput("select email || '' from users", 0)).toContain("?.email");
  });

  it("follows sub-queries, CTEs and set operations", () => {
    expect(readsOfOutput("select upper(x) from (select email as x from users) s", 0)).toContain("?.email");
    expect(readsOfOutput("with c as (select email e from users) select e || '!' from c", 0)).toContain("?.email");
    expect(readsOfOutput("select 'a' union all select email from users", 0)).toContain("?.email");
    expect(readsOfOutput("select (select email from users limit 1)", 0)).toContain("?.email");
  });

  it("reads the whole row for row_to_json(u), u.* and json_agg(u)", () => {
    expect(readsOfOutput("select row_to_json(u) from users u", 0)).toContain("users.*");
    expect(readsOfOutput("select json_agg(u) from users u", 0)).toContain("users.*");
    expect(lineage("select u.*, 1 from users u")!.outputs.map((o) => o.star)).toEqual([true, false]);
  });

  it("traces RETURNING and COPY (query), and knows nothing of EXECUTE", () => {
    expect(readsOfOutput("update users set n = 1 returning md5(email)", 0)).toContain("?.email");
    expect(readsOfOutput("copy (select lower(email) from users) to stdout", 0)).toContain("?.email");
    expect(lineage("execute p(1)")).toBeNull();
  });

  it("traces a function in FROM to what its arguments read", () => {
    expect(readsOfOutput("select x from users, unnest(array[email]) x", 0)).toContain("?.email");
    expect(readsOfOutput("select u.b from users, unnest(array[id], array[email]) as u(a, b)", 0)).toContain("?.email");
    expect(readsOfOutput("select r.n from users s, jsonb_to_record(to_jsonb(s)) as r(n text)", 0)).toContain("users.*");
    // No names given (jsonb_each: key, value): any unqualified name may be one of its columns.
    expect(readsOfOutput("select value from users s, jsonb_each_text(to_jsonb(s))", 0)).toContain("users.*");
    expect(readsOfOutput("select m from users, rows from (upper(email)) with ordinality as q(m, n)", 0)).toContain("?.email");
    // Declared names: others are not its columns.
    expect(readsOfOutput("select id + 1 from users, unnest(array[email]) as u(x)", 0)).toEqual(["?.id"]);
  });
});
