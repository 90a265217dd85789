import { beforeAll, describe, expect, it } from "vitest";
import { loadSqlParser } from "../sql/statement-analyzer";
import { judgeCommands } from "./evaluate-policy";
import { analyzer, classified } from "./pg-classified.test-support";
import { withDoBlockEffects } from "./pg-do-blocks";
import { withEffects } from "./merge-classification";
import type { Policy } from "./policy";
import { SqlSession, sqlCommand, unnamedTables } from "./sql-commands";

beforeAll(() => loadSqlParser());

const doBlock = (text: string) => {
  const a = analyzer.analyze(text);
  if (!a.ok) throw new Error(a.error);
  return withDoBlockEffects(classified(text), a.statements[0], analyzer);
};
const policy: Policy = {
  defaultAction: "allow",
  rules: [
    { name: "protect-victims", action: "deny", match: { tables: ["public.victims"], classes: ["write"] } },
    { name: "no-deletes", action: "review", match: { kinds: ["DELETE"] } },
  ],
};
const verdictOf = (text: string) => {
  const parsed = new SqlSession(analyzer).commands(text);
  if (!parsed.ok) throw new Error(parsed.error);
  const v = judgeCommands(
    policy,
    { name: "agent", groups: [] },
    parsed.statements.map((s) => s.command),
  );
  return v.action === "allow" ? "allow" : `${v.action}:${v.decision.rule}`;
};

describe("a DO block judged by its code", () => {
  it("merges what its PL/pgSQL runs, keeping the block's own classes, and says so", () => {
    const { classification, note } = doBlock("do $$ begin delete from victims where id = 1; perform notify_all(); end $$");
    expect(classification.kind).toBe("DO");
    expect(classification.classes).toEqual(expect.arrayContaining(["anonymous-code", "write", "ddl", "privileges"]));
    expect(classification.runs).toContain("DELETE");
    expect(classification.tables).toEqual(["victims"]);
    expect(classification.functions).toContain("notify_all");
    expect(classification.unknownRuns).toBeUndefined();
    expect(note).toBe("it runs a DO block, whose code runs DELETE (tables victims)");
    const quiet = doBlock("do $$ begin raise notice 'hi'; end $$");
    expect(quiet.classification.tables).toEqual([]);
    expect(quiet.note).toBeUndefined();
  });

  it("counts what it cannot read (SQL built at run time, another language) as touching any table and running anything", () => {
    for (const [text, why] of [
      ["do $$ begin execute 'delete from vic' || 'tims'; end $$", "it runs SQL built at run time (EXECUTE)"],
      ["do language plperl $$ 1 $$", "a DO block in plperl, which the gateway cannot read"],
    ]) {
      const { classification, note } = doBlock(text);
      expect(classification.unknownRuns, text).toBe(true);
      expect(classification.everyTableOf, text).toEqual(["*"]);
      expect(note, text).toContain(why);
    }
    // Other statements are left as they are.
    expect(doBlock("select 1").classification).toBe(classified("select 1"));
  });

  it("lets a rule on one table, or on a kind, meet what a block or unreadable code does; an allow rule is not widened", () => {
    expect(verdictOf("do $$ begin delete from victims; end $$")).toBe("deny:protect-victims");
    expect(verdictOf("do $$ begin update others set n = 1; end $$")).toBe("allow");
    expect(verdictOf("do $$ begin delete from others; end $$")).toBe("review:no-deletes");
    expect(verdictOf("do $$ begin execute 'select 1'; end $$")).toBe("deny:protect-victims");
    expect(verdictOf("load 'plugin'")).toBe("deny:protect-victims");
    // Opaque code merged into any statement (an unreadable function's body, a view's definition) alike.
    const opaque = withEffects(classified("select f()"), [{ who: "it calls f", whose: "", found: { why: "a c function whose code the gateway cannot read" } }]).classification;
    const command = sqlCommand(opaque, "select f()");
    expect(command.unknownRuns).toBe(true);
    // The possible tables as the guards give them (unnamedTables of the merged classification: `*`).
    const asJudged = { ...command, possibleResources: unnamedTables(opaque) };
    expect(asJudged.possibleResources).toEqual(["*"]);
    expect(judgeCommands(policy, { name: "agent", groups: [] }, [asJudged]).action).toBe("deny");
    const allowOnly: Policy = { defaultAction: "deny", rules: [{ name: "victims-ok", action: "allow", match: { tables: ["public.victims"] } }] };
    expect(judgeCommands(allowOnly, { name: "agent", groups: [] }, [asJudged]).action).toBe("deny");
  });
});
