import { beforeAll, describe, expect, it } from "vitest";
import { loadSqlParser, StatementAnalyzer } from "../../../core/sql/statement-analyzer";
import type { RoutineDefinition } from "../../../core/policy/pg-routine-effects";
import type { WriteHooks } from "../../../core/policy/pg-write-hooks";
import type { Policy } from "../../../core/policy/policy";
import { StatementGuard, type RoutineCatalog } from "./statement-guard";

// The target's catalog is a stand-in here (what it holds is set by the test, and each load only
// records that it was asked); e2e/postgres/guardrail-routines.test.ts runs the guard on PostgreSQL.
beforeAll(() => loadSqlParser());

const noHooks = { functions: [], rules: [] };
function catalog() {
  const state = { builtins: undefined as { functions: Set<string> } | null | undefined, routines: new Map<string, RoutineDefinition[]>(), hooks: new Map<string, WriteHooks>(), asked: [] as string[] };
  const source: RoutineCatalog = {
    builtinRoutines: () => state.builtins,
    loadBuiltinRoutines: async () => {
      state.asked.push("builtins");
      state.builtins = { functions: new Set(["now"]) };
    },
    routineDefinitions: (name) => state.routines.get(name),
    loadRoutineNames: async (names) => {
      state.asked.push(...names);
      for (const n of names) if (!state.routines.has(n)) state.routines.set(n, []);
    },
    tableHooks: (name) => state.hooks.get(name.split(".").at(-1)!),
    loadTableHooks: async (names) => {
      state.asked.push(...names.map((n) => `hooks:${n}`));
      // A table whose insert trigger stamps the row with now(); its function is loaded with the table's hooks, as column-catalog.ts
      // does, and now() is not loaded as a name: the catalog skips the callees it knew as built-ins, and that list has since expired.
      for (const n of names) state.hooks.set(n.split(".").at(-1)!, { insert: { functions: ["stamp"], rules: [] }, update: noHooks, delete: noHooks, computed: [] });
      state.routines.set("stamp", [{ lang: "plpgsql", volatile: true, body: "begin new.at := now(); return new; end", signature: { procedure: false, args: "", result: "trigger" } }]);
    },
  };
  return { state, source };
}

const policy: Policy = { defaultAction: "allow", rules: [{ name: "vault-sealed", action: "deny", match: { tables: ["vault.*"] } }] };

describe("the Postgres statement guard's catalog reads", () => {
  it("a write waits for the built-in names its trigger's function may call, so that now() is not judged as code it cannot see", async () => {
    const { state, source } = catalog();
    const guard = new StatementGuard(() => policy, { name: "agent", groups: [] }, new StatementAnalyzer(), { user: "app" }, source);
    const text = "insert into stamped (id) values (1)";
    await guard.routinesLoaded(text);
    expect(state.asked).toContain("builtins");
    expect(guard.judge(text)).toBeNull();
  });
});
