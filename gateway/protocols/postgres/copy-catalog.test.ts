import { describe, expect, it } from "vitest";
import { calledCode, opaqueRoutine, tableCode, type GuardCatalog } from "./copy-catalog";
import type { WriteHooks } from "./routine-code";

/** The catalog as the masking guard reads it: function languages by name (undefined: not looked up), and the built-in-only names. */
function catalog(languages: Record<string, string[] | null>, builtins: string[] = [], code: Record<string, string[] | null> = {}, hooks: Record<string, WriteHooks | null> = {}): GuardCatalog {
  return {
    tableHooks: (name: string) => hooks[name],
    routineLanguages: (name: string) => languages[name],
    routineCode: (name: string) => code[name],
    builtinRoutines: () => ({ functions: new Set(builtins), operators: new Set() }),
  } as unknown as GuardCatalog;
}

describe("[MASKING][COPIES] functions masking cannot see into, for copies", () => {
  it("a routine outside pg_catalog written in SQL or a procedural language is opaque; a C one, a built-in and pg_catalog's are not", () => {
    const unknown = new Set<string>();
    const opaque = opaqueRoutine(catalog({ fr: ["sql"], uuid_generate_v4: ["c"], mixed: ["c", "plpgsql"], broken: null }, ["now"]), false, unknown);
    expect(["fr", "public.fr", "mixed", "broken"].map(opaque)).toEqual([true, true, true, true]);
    expect(["uuid_generate_v4", "now", "pg_catalog.lower"].map(opaque)).toEqual([false, false, false]);
    expect(unknown.size).toBe(0);
  });

  it("a name not looked up yet is asked for and passes meanwhile; once looked up and still unknown, it is opaque (fail closed)", () => {
    const unknown = new Set<string>();
    expect(opaqueRoutine(catalog({}), false, unknown)("my_fn")).toBe(false);
    expect([...unknown]).toEqual(["my_fn"]);
    expect(opaqueRoutine(catalog({}), true, new Set())("my_fn")).toBe(true);
  });

  it("the code a call runs: its routine's bodies and those of the routines they call; built-ins and C functions run none", () => {
    const code = {
      run_it: ["select exec_sql(q)"],
      exec_sql: ["begin execute q; end"],
      uuid_generate_v4: [],
      loops: ["select loops(1)"],
      exists: [],
    };
    const unknown = new Set<string>();
    const called = calledCode(catalog({}, ["now", "coalesce"], code), true, unknown);
    expect(called("run_it")).toEqual(["select exec_sql(q)", "begin execute q; end"]);
    expect(called("public.run_it")).toEqual(["select exec_sql(q)", "begin execute q; end"]);
    expect(called("loops")).toEqual(["select loops(1)"]);
    expect([called("now"), called("pg_catalog.lower"), called("uuid_generate_v4")]).toEqual([[], [], []]);
    expect(unknown.size).toBe(0);
  });

  it("a name not looked up yet, at any depth, is asked for; once looked up, unreadable or too deep code counts as null (the caller refuses)", () => {
    const unknown = new Set<string>();
    expect(calledCode(catalog({}, [], { wrapper: ["select inner_fn(1)"] }), false, unknown)("wrapper")).toEqual(["select inner_fn(1)"]);
    expect([...unknown]).toEqual(["inner_fn"]);
    expect(calledCode(catalog({}, [], { wrapper: ["select inner_fn(1)"] }), true, new Set())("wrapper")).toBeNull();
    expect(calledCode(catalog({}, [], { broken: null }), true, new Set())("broken")).toBeNull();
    const chain = { a: ["select b()"], b: ["select c()"], c: ["select d()"], d: ["select e()"], e: ["select 1"] };
    expect(calledCode(catalog({}, [], chain), true, new Set())("a")).toBeNull();
    expect(calledCode(catalog({}, [], chain), true, new Set())("b")).toEqual(["select c()", "select d()", "select e()", "select 1"]);
  });

  it("the code a write runs: its table's rules and trigger functions for that kind of write (with what they call); a table not looked up yet is asked for", () => {
    const code = { log_it: ["begin insert into log select * from helper(); return new; end"], helper: ["select name from customers"] };
    const none = { functions: [], rules: [] };
    const hooks = {
      customers: {
        insert: none,
        update: { functions: ["log_it", "suppress_redundant_updates_trigger"], rules: [] },
        delete: { functions: [], rules: ["INSERT INTO log VALUES (old.name)"] },
        computed: [],
      },
      plain: { insert: none, update: none, delete: none, computed: [] },
      broken: null,
    };
    const tables = new Set<string>();
    const routines = new Set<string>();
    const hooked = tableCode(catalog({}, ["suppress_redundant_updates_trigger"], code, hooks), false, tables, routines).writeHooks;
    expect(hooked("public.customers", ["update", "delete"])).toEqual([...code.log_it, ...code.helper, "INSERT INTO log VALUES (old.name)"]);
    expect(hooked("customers", ["insert"])).toEqual([]);
    expect(hooked("plain", ["insert", "update", "delete"])).toEqual([]);
    expect(hooked("unseen", ["insert"])).toEqual([]);
    expect([...tables, ...routines]).toEqual(["unseen"]);
    expect(tableCode(catalog({}, [], code, hooks), true, new Set(), new Set()).writeHooks("broken", ["insert"])).toBeNull();
    expect(tableCode(catalog({}, [], code, hooks), true, new Set(), new Set()).writeHooks("unseen", ["insert"])).toBeNull();
  });

  it("the code a column's default or generated value runs, by column; built-ins run none", () => {
    const none = { functions: [], rules: [] };
    const hooks = {
      stamps: {
        insert: none,
        update: none,
        delete: none,
        computed: [
          { column: "n", expr: "first_name()" },
          { column: "at", expr: "now()" },
          { column: "id", expr: "nextval('stamps_id_seq'::regclass)" },
        ],
      },
    };
    const code = { first_name: ["select name from customers order by id limit 1"] };
    const computed = tableCode(catalog({}, ["now", "nextval"], code, hooks), true, new Set(), new Set()).computedColumns;
    expect(computed("public.stamps")).toEqual([{ column: "n", code: code.first_name }]);
    expect(tableCode(catalog({}, ["now", "nextval"], {}, hooks), true, new Set(), new Set()).computedColumns("stamps")).toBeNull();
  });
});
