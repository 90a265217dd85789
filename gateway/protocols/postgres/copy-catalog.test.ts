import { describe, expect, it } from "vitest";
import { opaqueRoutine, type GuardCatalog } from "./copy-catalog";

/** The catalog as the masking guard reads it: function languages by name (undefined: not looked up), and the built-in-only names. */
function catalog(languages: Record<string, string[] | null>, builtins: string[] = []): GuardCatalog {
  return {
    routineLanguages: (name: string) => languages[name],
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
});
