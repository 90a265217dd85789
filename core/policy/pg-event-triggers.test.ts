import { beforeAll, describe, expect, it } from "vitest";
import { loadSqlParser } from "../sql/statement-analyzer";
import { analyzer, classified } from "./pg-classified.test-support";
import type { RoutineDefinition } from "./pg-routine-effects";
import { firesEventTriggers, withEventTriggerEffects, type EventTriggerSource } from "./pg-event-triggers";

beforeAll(() => loadSqlParser());

const eventTrigger = (body: string): RoutineDefinition => ({ lang: "plpgsql", volatile: true, body, signature: { procedure: false, args: "", result: "event_trigger" } });
const ROUTINES: Record<string, RoutineDefinition[]> = {
  purge_on_ddl: [eventTrigger("begin delete from victims; end")],
  note_ddl: [eventTrigger("begin raise notice 'ddl: %', tg_tag; end")],
  native_ddl: [{ lang: "c", volatile: true, body: null }],
};
const source = (triggers: string[] | null | undefined): EventTriggerSource => ({
  routineDefinitions: (name) => ROUTINES[name] ?? [],
  builtinRoutines: () => ({ functions: new Set(["now"]) }),
  eventTriggers: () => triggers,
});

describe("a Postgres DDL statement judged with the event triggers it fires", () => {
  it("merges what each event trigger's function runs into DDL and GRANT, and lists the function as called", () => {
    for (const text of ["create table t (id int)", "alter table t add column n int", "drop view v", "grant select on t to bob", "comment on table t is 'x'", "create schema s"]) {
      const { classification, note, consulted } = withEventTriggerEffects(classified(text), source(["purge_on_ddl", "note_ddl"]), analyzer);
      expect(classification.classes, text).toContain("write");
      expect(classification.tables, text).toContain("victims");
      expect(classification.functions, text).toEqual(expect.arrayContaining(["purge_on_ddl", "note_ddl"]));
      expect(note, text).toBe("it runs DDL, which fires the event trigger function purge_on_ddl, a function whose body runs DELETE (tables victims)");
      expect(consulted).toBe(true);
    }
  });

  it("leaves statements that fire none as they are, and DDL when the target has no event trigger", () => {
    for (const text of ["select * from t", "insert into t values (1)", "delete from t", "truncate t", "set search_path = x", "vacuum t"]) {
      expect(firesEventTriggers(classified(text)), text).toBe(false);
      expect(withEventTriggerEffects(classified(text), source(["purge_on_ddl"]), analyzer).classification, text).toBe(classified(text));
    }
    const ddl = classified("create table t (id int)");
    expect(withEventTriggerEffects(ddl, source([]), analyzer)).toEqual({ classification: ddl, consulted: false });
    // A catalog that reads none (no eventTriggers method) adds nothing either.
    expect(withEventTriggerEffects(ddl, { routineDefinitions: () => [] }, analyzer).classification).toBe(ddl);
  });

  it("fails closed on event triggers it could not read, or whose function it cannot read", () => {
    for (const [triggers, why] of [
      [undefined, "whose event triggers the gateway could not read in time"],
      [null, "whose event triggers the gateway could not read (its catalog could not be read)"],
      [["native_ddl"], "a c function whose code the gateway cannot read"],
    ] as const) {
      const { classification, note } = withEventTriggerEffects(classified("create index on t (id)"), source(triggers as string[] | null | undefined), analyzer);
      expect(classification.classes).toEqual(expect.arrayContaining(["write", "ddl", "privileges"]));
      expect(note).toContain(why);
    }
  });
});
