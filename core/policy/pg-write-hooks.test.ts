import { beforeAll, describe, expect, it } from "vitest";
import { loadSqlParser, type StatementAnalyzer } from "../sql/statement-analyzer";
import { analyzer, classified } from "./pg-classified.test-support";
import type { Classification } from "./classify-statement";
import type { RoutineDefinition } from "./pg-routine-effects";
import { withWriteHookEffects, type PgHookSource, type WriteHooks } from "./pg-write-hooks";

beforeAll(() => loadSqlParser());

/** The tables whose hooks judging `c` reads and that are not loaded yet, as withWriteHookEffects tells them. */
const unloadedHookTables = (c: Classification, source: PgHookSource, an: StatementAnalyzer): string[] => {
  const missing: string[] = [];
  withWriteHookEffects(c, source, an, (t) => missing.push(t));
  return missing;
};
const trigger = (body: string): RoutineDefinition => ({ lang: "plpgsql", volatile: true, body, signature: { procedure: false, args: "", result: "trigger" } });
const none = () => ({ functions: [], rules: [] });
const hooks = (h: Partial<WriteHooks>): WriteHooks => ({ insert: none(), update: none(), delete: none(), computed: [], ...h });

const ROUTINES: Record<string, RoutineDefinition[]> = {
  erase_victims: [trigger("begin delete from victims where id = old.id; return old; end")],
  stamp: [trigger("begin new.updated_at := now(); return new; end")],
  log_row: [trigger("begin insert into audit_log (id) values (new.id); return new; end")],
  c_trigger: [{ lang: "c", volatile: true, body: null }],
  next_code: [{ lang: "sql", volatile: true, body: "update counters set n = n + 1 returning n" }],
  add_job: [{ lang: "sql", volatile: true, body: "insert into jobs values ($1); select 1" }],
};
const TABLES: Record<string, WriteHooks | null> = {
  jobs: hooks({ insert: { functions: ["erase_victims"], rules: [] }, update: { functions: ["stamp"], rules: [] } }),
  stamped: hooks({ update: { functions: ["stamp"], rules: [] } }),
  queue: hooks({ insert: { functions: [], rules: ["DELETE FROM victims;"] }, delete: { functions: [], rules: ["NOTHING;"] } }),
  logged: hooks({ insert: { functions: ["log_row"], rules: [] } }),
  audit_log: hooks({ insert: { functions: [], rules: ["( INSERT INTO archive VALUES (new.id); DELETE FROM victims; );"] } }),
  coded: hooks({
    computed: [
      { column: "code", expr: "next_code()" },
      { column: "id", expr: "nextval('coded_id_seq'::regclass)" },
    ],
  }),
  native: hooks({ update: { functions: ["c_trigger"], rules: [] } }),
  unreadable: null,
  victims: hooks({}),
  archive: hooks({}),
  counters: hooks({}),
  plain: hooks({}),
};
const source = (tables: Record<string, WriteHooks | null> = TABLES): PgHookSource => ({
  routineDefinitions: (name) => (name in ROUTINES ? ROUTINES[name] : []),
  builtinRoutines: () => ({ functions: new Set(["now", "nextval"]) }),
  tableHooks: (name) => (name in tables ? tables[name] : undefined),
});

describe("a Postgres write judged with the triggers, rules and computed columns it sets off", () => {
  it("merges what a trigger's function, a rule's actions or a default's routine run, only for the kind of write they fire on", () => {
    for (const [text, kind, says] of [
      ["insert into jobs values (1)", "DELETE", "it writes jobs, whose trigger calls erase_victims, a function whose body runs DELETE (tables victims)"],
      ["insert into public.queue values (1)", "DELETE", "it writes queue, which has a rule that runs DELETE (tables victims)"],
      ["insert into coded (name) values ('a')", "UPDATE", "it writes coded, whose column code is computed by next_code, a function whose body runs UPDATE (tables counters)"],
      ["merge into jobs j using plain p on p.id = j.id when not matched then insert values (p.id)", "DELETE", "whose trigger calls erase_victims"],
      ["copy jobs from stdin", "DELETE", "whose trigger calls erase_victims"],
      ["with d as (insert into jobs values (1) returning id) select * from d", "DELETE", "whose trigger calls erase_victims"],
      // Two levels down: logged's trigger inserts into audit_log, whose rule deletes from victims.
      ["insert into logged values (1)", "DELETE", "it writes logged, whose triggers or rules write audit_log, which has a rule that runs INSERT, DELETE (tables archive, victims)"],
      // Through a routine the statement calls: its body inserts into jobs.
      ["select add_job(1)", "DELETE", "it calls add_job, which writes jobs, whose trigger calls erase_victims"],
    ] as const) {
      const c = classified(text);
      const { classification, note, consulted } = withWriteHookEffects(c, source(), analyzer);
      expect(classification.runs, text).toContain(kind);
      expect(classification.classes, text).toContain("write");
      expect(note, text).toContain(says);
      expect(consulted).toBe(true);
      expect(c.runs, "the cached classification is left as it was").not.toContain(kind);
    }
  });

  it("adds nothing for writes whose hooks do nothing, fire on another kind of write, or for tables without any", () => {
    for (const text of ["delete from jobs where id = 1", "update stamped set x = 1", "delete from queue", "insert into plain values (1)", "select * from jobs"]) {
      const c = classified(text);
      const r = withWriteHookEffects(c, source(), analyzer);
      expect(r.classification.runs, text).toEqual(c.runs);
      expect(r.classification.classes, text).toEqual(c.classes);
      expect(r.note, text).toBeUndefined();
    }
    // A plain EXPLAIN writes nothing; EXPLAIN ANALYZE runs the INSERT and so its trigger.
    expect(withWriteHookEffects(classified("explain insert into jobs values (1)"), source(), analyzer).note).toBeUndefined();
    expect(withWriteHookEffects(classified("explain analyze insert into jobs values (1)"), source(), analyzer).note).toContain("erase_victims");
    // A prepared INSERT carries its writes to the EXECUTE.
    expect(classified("prepare p as insert into jobs values ($1)").writes).toEqual([{ table: "jobs", events: ["insert"] }]);
  });

  it("fails closed on what it cannot read: a C trigger function, a catalog that could not be read or was not read in time", () => {
    for (const [text, says] of [
      ["update native set x = 1", "whose trigger calls c_trigger, a c function whose code the gateway cannot read (VOLATILE: it may write)"],
      ["insert into unreadable values (1)", "it writes unreadable, whose triggers and rules the gateway could not read (its catalog could not be read)"],
      ["insert into elsewhere values (1)", "it writes elsewhere, whose triggers and rules the gateway could not read in time"],
    ]) {
      const r = withWriteHookEffects(classified(text), source(), analyzer);
      expect(r.classification.classes, text).toEqual(expect.arrayContaining(["write", "ddl", "privileges", "anonymous-code"]));
      expect(r.note, text).toContain(says);
      expect(r.note, text).toContain("judged as code the gateway cannot see");
    }
  });

  it("names the tables whose hooks are still to be read, those their triggers write among them", () => {
    const partial = { jobs: TABLES.jobs, logged: TABLES.logged };
    expect(unloadedHookTables(classified("insert into jobs values (1)"), source(partial), analyzer)).toEqual(["victims"]);
    expect(unloadedHookTables(classified("insert into logged values (1)"), source(partial), analyzer)).toEqual(["audit_log"]);
    expect(unloadedHookTables(classified("insert into logged values (1)"), source(), analyzer)).toEqual([]);
    expect(unloadedHookTables(classified("insert into a.fresh values (1)"), source({}), analyzer)).toEqual(["fresh"]);
  });
});

describe("a Postgres write through a view", () => {
  it("writes the rows of the relations the view reads: their names meet tables rules, their triggers fire", () => {
    const tables = { ...TABLES, jobs_v: hooks({ through: ["public.jobs"] }), outer_v: hooks({ through: ["public.jobs_v"] }) };
    for (const [text, says] of [
      ["insert into jobs_v values (1)", "it writes jobs_v, a view that runs INSERT (tables public.jobs); it writes jobs_v, a view over jobs, whose trigger calls erase_victims"],
      ["insert into outer_v values (1)", "it writes outer_v, a view over jobs_v, a view over jobs, whose trigger calls erase_victims"],
    ]) {
      const r = withWriteHookEffects(classified(text), source(tables), analyzer);
      expect(r.classification.tables, text).toEqual(expect.arrayContaining(["public.jobs", "victims"]));
      expect(r.note, text).toContain(says);
    }
    // An update of the view updates the base table's rows: its update triggers, not its insert ones.
    const updated = withWriteHookEffects(classified("update jobs_v set id = 2"), source(tables), analyzer);
    expect(updated.classification.tables).toContain("public.jobs");
    expect(updated.note).not.toContain("erase_victims");
  });
});

describe("a Postgres write that cascades through foreign keys", () => {
  it("deletes or updates the referencing rows as the key's actions say, and their triggers fire", () => {
    const tables = {
      ...TABLES,
      customers: hooks({
        cascades: [
          { table: "public.orders", onDelete: "CASCADE" },
          { table: "public.notes", onDelete: "SET NULL", onUpdate: "CASCADE" },
        ],
      }),
      orders: hooks({ delete: { functions: [], rules: ["DELETE FROM victims;"] } }),
      notes: hooks({}),
    };
    const deleted = withWriteHookEffects(classified("delete from customers where id = 1"), source(tables), analyzer);
    expect(deleted.note).toContain("it writes customers, whose rows public.orders references with ON DELETE CASCADE, which runs DELETE (tables public.orders)");
    expect(deleted.note).toContain("whose rows public.notes references with ON DELETE SET NULL, which runs UPDATE (tables public.notes)");
    expect(deleted.note).toContain("it writes customers, whose foreign key action writes orders, which has a rule that runs DELETE (tables victims)");
    expect(deleted.classification.runs).toEqual(expect.arrayContaining(["UPDATE"]));
    // An insert cascades nothing; an update of the key only where ON UPDATE says so.
    expect(withWriteHookEffects(classified("insert into customers values (1)"), source(tables), analyzer).note).toBeUndefined();
    const updated = withWriteHookEffects(classified("update customers set id = 2"), source(tables), analyzer);
    expect(updated.classification.tables).toEqual(expect.arrayContaining(["public.notes"]));
    expect(updated.classification.tables).not.toContain("public.orders");
  });
});

describe("a Postgres TRUNCATE", () => {
  it("fires its TRUNCATE triggers, and with CASCADE empties every table that references the ones it names", () => {
    const tables = {
      ...TABLES,
      owners: hooks({ cascades: [{ table: "public.victims" }], truncate: [] }),
      jobs: hooks({ truncate: ["erase_victims"] }),
      victims: hooks({ cascades: [{ table: "public.archive" }] }),
    };
    expect(classified("truncate owners, public.jobs cascade").writes).toEqual([
      { table: "owners", events: [], truncate: "cascade" },
      { table: "public.jobs", events: [], truncate: "cascade" },
    ]);
    const cascade = withWriteHookEffects(classified("truncate owners cascade"), source(tables), analyzer);
    expect(cascade.note).toContain("it writes owners, whose rows public.victims references, so TRUNCATE ... CASCADE runs TRUNCATE (tables public.victims)");
    expect(cascade.classification.tables).toEqual(expect.arrayContaining(["public.victims", "public.archive"]));
    // Without CASCADE the server refuses a referenced table: nothing else is emptied.
    expect(withWriteHookEffects(classified("truncate owners"), source(tables), analyzer).note).toBeUndefined();
    expect(withWriteHookEffects(classified("truncate jobs"), source(tables), analyzer).note).toContain("it writes jobs, whose TRUNCATE trigger calls erase_victims");
  });
});

describe("a Postgres write in a partition or inheritance hierarchy", () => {
  it("writes the rows of the tables above it, and of its partitions or children below, whose triggers fire", () => {
    const tables = {
      ...TABLES,
      payments: hooks({ descendants: ["public.payments_eu", "public.payments_us"] }),
      payments_eu: hooks({ ancestors: ["public.payments"], insert: { functions: ["erase_victims"], rules: [] } }),
      payments_us: hooks({ ancestors: ["public.payments"] }),
    };
    const inserted = withWriteHookEffects(classified("insert into payments values (1)"), source(tables), analyzer);
    expect(inserted.note).toContain("it writes payments, a table of a partition or inheritance hierarchy that runs INSERT (tables public.payments_eu, public.payments_us)");
    expect(inserted.note).toContain("it writes payments, whose partitions or child tables include payments_eu, whose trigger calls erase_victims");
    expect(inserted.classification.tables).toEqual(expect.arrayContaining(["public.payments_us", "victims"]));
    // A partition written directly writes rows of its parent table: a rule on payments meets it.
    const direct = withWriteHookEffects(classified("delete from payments_us where id = 1"), source(tables), analyzer);
    expect(direct.note).toBe("it writes payments_us, a table of a partition or inheritance hierarchy that runs DELETE (tables public.payments)");
    const emptied = withWriteHookEffects(classified("truncate payments"), source(tables), analyzer);
    expect(emptied.note).toContain("it writes payments, a table of a partition or inheritance hierarchy that runs TRUNCATE (tables public.payments_eu, public.payments_us)");
    expect(emptied.classification.tables).toEqual(expect.arrayContaining(["public.payments_eu", "public.payments_us"]));
    expect(unloadedHookTables(classified("insert into payments values (1)"), source({ payments: tables.payments }), analyzer)).toEqual(["payments_eu", "payments_us"]);
  });
});
