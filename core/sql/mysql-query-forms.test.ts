import { describe, expect, it } from "vitest";
import { analyzeMysql } from "../policy/classify-mysql";
import { adjacentStrings, ASSIGNMENT_CALL, assignmentsAsCalls, parenthesisedQueries, queryForms } from "./mysql-query-forms";
import { mysqlLineage } from "./mysql-columns";
import { mysqlSinks } from "./mysql-sinks";

const judged = (text: string) => {
  const a = analyzeMysql(text);
  if (!a.ok) throw new Error(a.error);
  const c = a.statements[0].classification;
  return { kind: c.kind, classes: c.classes, tables: c.tables, functions: c.functions };
};

describe("user variables assigned inside expressions", () => {
  it("reads the ranking idioms of MySQL before window functions, with the variables they set", () => {
    const rank = "SELECT name, IF(@prev = dept, @rn := @rn + 1, @rn := 1) AS rn, @prev := dept FROM staff ORDER BY dept";
    expect(judged(rank)).toMatchObject({ kind: "SELECT", classes: ["read"], tables: ["staff"], functions: ["if"] });
    expect(mysqlSinks(rank)?.map((s) => s.dest)).toEqual(["@rn", "@rn", "@prev"]);
    // What is copied into a variable is what masking follows there (a later SELECT @x is masked as email is).
    expect(mysqlSinks("SELECT id, (@x := email) FROM customers")).toEqual([{ kind: "variable", table: null, dest: "@x", reads: [{ table: null, column: "email" }] }]);
    expect(mysqlSinks("SELECT * FROM t1 WHERE a = 2 OR (NULL AND (@a := @a + (SELECT card FROM cards LIMIT 1)))")?.[0].reads).toEqual([{ table: null, column: "card" }]);
    // `:=` binds loosest: the whole `a AND b` is assigned, and nested assignments are each read.
    expect(assignmentsAsCalls("SELECT (@a := @b := x AND y)")).toBe(`SELECT (${ASSIGNMENT_CALL}(@a,  ${ASSIGNMENT_CALL}(@b,  x AND y)))`);
    expect(mysqlSinks("SELECT (@a := @b := email) FROM customers")?.map((s) => s.dest)).toEqual(["@a", "@b"]);
    expect(mysqlSinks("SELECT IF(a, @r := (SELECT card FROM cards LIMIT 1), 0) FROM t")?.[0]).toMatchObject({ dest: "@r", reads: [{ table: null, column: "card" }] });
  });

  it("leaves what it cannot place, and what is quoted, as it is", () => {
    // A word of the construct around it (CAST's AS) ends the expression: not respelled, so still unreadable under a policy.
    expect(assignmentsAsCalls("SELECT CAST(@x := a AS CHAR)")).toBe("SELECT CAST(@x := a AS CHAR)");
    expect(assignmentsAsCalls("SELECT '(@x := 1)', `(@y := 2)`")).toBe("SELECT '(@x := 1)', `(@y := 2)`");
    // A column's own assignment is read by the grammar already.
    expect(assignmentsAsCalls("SELECT @x := 1, @y := 2")).toBe("SELECT @x := 1, @y := 2");
  });

  it("cannot be imitated by a client's call: a function of another name is judged as the call it is", () => {
    // The name is random per process; a stored function named like the old fixed one stays a call of a function that is not built in.
    expect(ASSIGNMENT_CALL).toMatch(/^gatehouse_assign_[0-9a-f]{16}$/);
    expect(judged("SELECT gatehouse_assign(@x, 1)").functions).toEqual(["gatehouse_assign"]);
  });
});

describe("parenthesised queries where the grammar wants a bare one", () => {
  it("reads UNION operands in parentheses after WITH, inside IN and in an INSERT", () => {
    expect(judged("WITH a AS (SELECT 1 x) (SELECT x FROM a) UNION (SELECT id FROM vault) ORDER BY 1 LIMIT 2")).toMatchObject({ kind: "SELECT", tables: expect.arrayContaining(["vault"]) });
    expect(judged("SELECT * FROM t WHERE id IN ((SELECT 1) UNION (SELECT id FROM vault))").tables).toEqual(expect.arrayContaining(["t", "vault"]));
    expect(judged("INSERT INTO t1 (SELECT * FROM vault UNION SELECT * FROM t2)")).toMatchObject({ kind: "INSERT", classes: ["write"], tables: expect.arrayContaining(["t1", "vault", "t2"]) });
    expect(judged("SELECT * FROM ( ( (SELECT a FROM t1 WHERE a = 1) UNION (SELECT a FROM vault) ) ORDER BY 1 DESC ) AS dt").tables).toEqual(expect.arrayContaining(["t1", "vault"]));
  });

  it("keeps the columns a masking rule follows through the operands", () => {
    const lineage = mysqlLineage("WITH a AS (SELECT 1 x) (SELECT email FROM customers ORDER BY id LIMIT 1) UNION (SELECT x FROM a)");
    expect(lineage?.refs).toEqual(expect.arrayContaining([{ table: null, column: "email" }]));
    expect(lineage?.relations).toEqual(["customers"]);
  });

  it("leaves subqueries and derived tables as they are", () => {
    for (const text of [
      "SELECT (SELECT 1) UNION SELECT 2",
      "SELECT a, (SELECT b FROM u LIMIT 1) FROM t ORDER BY a",
      "SELECT COALESCE((SELECT a FROM t LIMIT 1), 0)",
      "SELECT * FROM (SELECT a FROM t) AS d JOIN (SELECT b FROM u) AS e ON d.a = e.b",
      "SELECT * FROM t WHERE a IN (SELECT b FROM u) ORDER BY a",
      "INSERT INTO t VALUES ((SELECT 1))",
      "(SELECT 1)",
      "SELECT '(SELECT 1) UNION (SELECT 2)'",
    ])
      expect(parenthesisedQueries(text)).toBe(text);
  });
});

describe("MySQL 8 and MariaDB predicates the grammar lacks", () => {
  it("reads MEMBER OF as IN, and MATCH without parentheses round its columns", () => {
    expect(judged("SELECT * FROM t WHERE 17 MEMBER OF (tags->'$.ids')")).toMatchObject({ kind: "SELECT", tables: ["t"] });
    expect(judged("SELECT * FROM articles WHERE MATCH title, body AGAINST ('+mysql' IN BOOLEAN MODE)")).toMatchObject({ tables: ["articles"], functions: ["match_against"] });
  });
});

describe("string literals next to each other", () => {
  it("are read as the one literal MySQL makes of them, quotes of one kind only, escapes kept", () => {
    expect(adjacentStrings("select 'a' 'b'  'c', \"d\" \"e\", 'f' \"g\", `h` `i`")).toBe("select 'abc', \"de\", 'f' \"g\", `h` `i`");
    expect(adjacentStrings("select 'it''s' 'x', 'a\\'' 'b'")).toBe("select 'it''sx', 'a\\'b'");
    expect(judged("DELETE FROM t WHERE code = 'x' 'y' 'z'")).toMatchObject({ kind: "DELETE", tables: ["t"] });
  });
});

describe("the respellings' bounds", () => {
  it("leaves a text with more than 32 assignments or parenthesised queries as it is (unreadable): each costs a scan of the text", () => {
    const few = `SELECT ${Array.from({ length: 32 }, (_, i) => `(@v${i} := ${i})`).join(", ")}`;
    expect(queryForms(few)).not.toBe(few);
    const many = `SELECT ${Array.from({ length: 33 }, (_, i) => `(@v${i} := ${i})`).join(", ")}`;
    expect(queryForms(many)).toBe(many);
    const unions = `${Array.from({ length: 33 }, (_, i) => `(SELECT ${i})`).join(" UNION ")} ORDER BY 1`;
    expect(queryForms(unions)).toBe(unions);
    // A paren nested past eight levels is not looked into.
    expect(parenthesisedQueries(`SELECT 1 UNION ${"(".repeat(9)}SELECT 2${")".repeat(9)}`)).toBe(`SELECT 1 UNION ${"(".repeat(9)}SELECT 2${")".repeat(9)}`);
  });
});
