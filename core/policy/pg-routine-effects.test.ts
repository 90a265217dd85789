import { beforeAll, describe, expect, it } from "vitest";
import { loadSqlParser } from "../sql/statement-analyzer";
import { analyzer, classified } from "./pg-classified.test-support";
import { bodyEffects, withPgRoutineEffects, type PgRoutineSource, type RoutineDefinition } from "./pg-routine-effects";

beforeAll(() => loadSqlParser());

const source = (defs: Record<string, RoutineDefinition[] | null>): PgRoutineSource => ({
  routineDefinitions: (name) => (name in defs ? defs[name] : undefined),
  builtinRoutines: () => ({ functions: new Set(["count", "upper", "now"]) }),
});
const sql = (body: string, volatile = true): RoutineDefinition => ({ lang: "sql", volatile, body });
const plpgsql = (body: string, volatile = true): RoutineDefinition => ({ lang: "plpgsql", volatile, body });

const ROUTINES = source({
  erase: [sql("delete from items where id = $1; select 1")],
  wrapper: [sql("select erase($1)")],
  renamer: [plpgsql("declare n int := 0; begin while n < 3 loop n := n + 1; end loop; if n > 2 then update items set name = 'x' where id = p; end if; return n; end")],
  dynamic: [plpgsql("begin execute 'delete from items'; return 1; end")],
  c_volatile: [{ lang: "c", volatile: true, body: null }],
  c_stable: [{ lang: "c", volatile: false, body: null }],
  counted: [sql("select count(*) from items", false)],
  unreadable_catalog: null,
  upper: [],
});

describe("a Postgres statement judged with the functions it calls", () => {
  it("merges what a SQL or PL/pgSQL body writes into the SELECT that calls it, through another function too", () => {
    for (const [text, kind] of [
      ["select erase(1)", "DELETE"],
      ["select * from items where wrapper(id) = 1", "DELETE"],
      ["select public.renamer(1)", "UPDATE"],
    ]) {
      const { classification: c, note } = withPgRoutineEffects(classified(text), ROUTINES, analyzer);
      expect(c.classes, text).toContain("write");
      expect(c.runs, text).toContain(kind);
      expect(c.tables, text).toContain("items");
      expect(note, text).toContain(`a stored function whose body runs ${kind}`);
    }
  });

  it("what it cannot read of a VOLATILE function is code it cannot see; of a STABLE one, nothing; built-ins and pg_catalog's are not looked up", () => {
    for (const [text, why] of [
      ["select dynamic()", "SQL built at run time"],
      ["select c_volatile()", "a c function whose code the gateway cannot read (VOLATILE: it may write)"],
      ["select unreadable_catalog()", "its catalog could not be read"],
      ["select not_loaded()", "could not read the target's functions in time"],
    ]) {
      const { classification: c, note } = withPgRoutineEffects(classified(text), ROUTINES, analyzer);
      expect(c.classes, text).toEqual(expect.arrayContaining(["anonymous-code", "write", "ddl", "privileges"]));
      expect(note, text).toContain(why);
    }
    for (const text of ["select c_stable()", "select upper('a'), pg_catalog.now()", "select dblink_exec('dbname=x', 'select 1')"]) {
      const c = classified(text);
      expect(withPgRoutineEffects(c, ROUTINES, analyzer).classification.classes, text).toEqual(c.classes);
    }
    const { classification: read } = withPgRoutineEffects(classified("select counted()"), ROUTINES, analyzer);
    expect(read.classes).toEqual(["read"]);
    expect(read.tables).toContain("items");
  });

  it("reads a SQL-standard body, PL/pgSQL's expressions, assignments and loops; says why it cannot read one", () => {
    const standard = bodyEffects("sql", "BEGIN ATOMIC\n  DELETE FROM items WHERE id = p;\n  SELECT 1;\nEND", analyzer);
    expect("effects" in standard && standard.effects.map((e) => e.kind)).toEqual(["DELETE", "SELECT"]);
    const ret = bodyEffects("sql", "RETURN (SELECT max(id) FROM items)", analyzer);
    expect("effects" in ret && ret.effects.flatMap((e) => e.tables)).toEqual(["items"]);
    // Its parameters and OUT columns are assigned: the body is parsed with the function's own signature.
    const loops = bodyEffects(
      "plpgsql",
      "declare r record; begin for r in select id from a loop insert into b values (r.id); end loop; perform f2(); x := (select 1 from c); return next; end",
      analyzer,
      {
        procedure: false,
        args: "p integer, OUT x integer",
        result: "SETOF integer",
      },
    );
    expect("effects" in loops && loops.effects.flatMap((e) => e.tables)).toEqual(expect.arrayContaining(["a", "b", "c"]));
    expect("effects" in loops && loops.effects.flatMap((e) => e.functions)).toContain("f2");
    expect(bodyEffects("plpgsql", "begin frobnicate; end", analyzer)).toMatchObject({ why: expect.stringContaining("syntax error") });
  });
});
