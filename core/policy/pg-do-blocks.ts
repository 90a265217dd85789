import type { ParsedStatement, StatementAnalyzer } from "../sql/statement-analyzer";
import type { Classification } from "./classify-statement";
import { withEffects, type BodyEffects } from "./merge-classification";
import { bodyEffects } from "./pg-routine-effects";

/**
 * What a PostgreSQL DO block runs: its PL/pgSQL code read as a function's body is
 * (core/policy/pg-routine-effects.ts: each statement and expression, the functions they call).
 * Judged by its kind alone, `DO $$ BEGIN DELETE FROM payments; END $$` is anonymous code that
 * touches no table: a rule protecting `payments` would not meet it. A block in another language, or
 * one that runs SQL built at run time (EXECUTE), is code the gateway cannot see: every strict class,
 * any kind, any table (fail closed). The block keeps its own classes (anonymous code counts as
 * write, ddl and privileges whatever it reads), so this only adds to them.
 */

type Node = Record<string, unknown>;

/** `c` (a DO statement's classification) with what its block runs merged in, and a note for a person; `c` itself for other statements. */
export function withDoBlockEffects(c: Classification, s: Pick<ParsedStatement, "node" | "tree">, analyzer: StatementAnalyzer): { classification: Classification; note?: string } {
  if (s.node !== "DoStmt") return { classification: c };
  const option = (name: string) =>
    (((s.tree.DoStmt as Node | undefined)?.args as Node[] | undefined) ?? []).map((a) => a.DefElem as Node | undefined).find((d) => d?.defname === name)?.arg as
      { String?: { sval?: string } } | undefined;
  const body = option("as")?.String?.sval;
  const language = (option("language")?.String?.sval ?? "plpgsql").toLowerCase();
  const found: BodyEffects =
    body === undefined
      ? { why: "a DO block whose code the gateway cannot find" }
      : language !== "plpgsql"
        ? { why: `a DO block in ${language}, which the gateway cannot read` }
        : bodyEffects("plpgsql", body, analyzer);
  return withEffects(c, [{ who: "it runs a DO block", whose: "whose code", found }]);
}
