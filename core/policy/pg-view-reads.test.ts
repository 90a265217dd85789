import { beforeAll, describe, expect, it } from "vitest";
import { loadSqlParser } from "../sql/statement-analyzer";
import { analyzer, classified } from "./pg-classified.test-support";
import type { RoutineDefinition } from "./pg-routine-effects";
import type { PgHookSource, WriteHooks } from "./pg-write-hooks";
import { unloadedReadTables, withViewReadEffects } from "./pg-view-reads";

beforeAll(() => loadSqlParser());

const none = () => ({ functions: [], rules: [] });
const relation = (reads?: WriteHooks["reads"]): WriteHooks => ({ insert: none(), update: none(), delete: none(), computed: [], reads });

const ROUTINES: Record<string, RoutineDefinition[]> = {
  purge: [{ lang: "sql", volatile: true, body: "delete from victims returning 1" }],
};
// As the catalog reads them (catalog-queries.ts TABLE_HOOKS): a view's relations at any depth, schema-qualified, and the views' definitions, its own first.
const TABLES: Record<string, WriteHooks | null> = {
  customers: relation(),
  contacts: relation({ relations: ["crm.customers"], definitions: [" SELECT customers.id,\n    customers.email\n   FROM crm.customers;"] }),
  contact_counts: relation({
    relations: ["crm.contacts", "crm.customers"],
    definitions: [" SELECT count(*) AS count\n   FROM crm.contacts;", " SELECT customers.id, customers.email FROM crm.customers;"],
  }),
  purging: relation({ relations: [], definitions: [" SELECT purge() AS purge;"] }),
  files: relation({ relations: [], definitions: [" SELECT pg_read_file('/etc/passwd'::text) AS pg_read_file;"] }),
  broken: relation({ relations: ["crm.customers"], definitions: ["SELECT FROM WHERE ("] }),
  unreadable: null,
  payments: { ...relation(), descendants: ["crm.payments_eu"] },
  payments_eu: { ...relation(), ancestors: ["crm.payments"] },
};
const source: PgHookSource = {
  routineDefinitions: (name) => (name in ROUTINES ? ROUTINES[name] : []),
  builtinRoutines: () => ({ functions: new Set(["count", "pg_read_file"]) }),
  tableHooks: (name) => (name in TABLES ? TABLES[name] : undefined),
};
const viewed = (sql: string) => withViewReadEffects(classified(sql), source, analyzer);

describe("a Postgres read judged with what the views it reads read", () => {
  it("reads the relations under a view, through views at any depth, and says so", () => {
    const { classification, note, consulted } = viewed("select * from contact_counts");
    expect(classification.tables).toEqual(["contact_counts", "crm.contacts", "crm.customers"]);
    expect(classification.classes).toContain("read");
    expect(note).toBe("it reads contact_counts, a view that reads (tables crm.contacts, crm.customers)");
    expect(consulted).toBe(true);
    // Inside a write, a subquery, a join.
    expect(viewed("insert into archive select * from contacts").classification.tables).toContain("crm.customers");
    expect(viewed("select 1 where exists (select 1 from public.contacts)").classification.tables).toContain("crm.customers");
  });

  it("leaves a plain table's read, a write through a view (pg-write-hooks.ts follows the write) and statements that read no rows as they are", () => {
    const plain = classified("select * from customers");
    expect(withViewReadEffects(plain, source, analyzer)).toEqual({ classification: plain, note: undefined, consulted: false });
    expect(viewed("update contacts set email = null").classification.tables).toEqual(["contacts"]);
    for (const text of [
      "explain select * from contacts",
      "drop view contacts",
      "comment on view contacts is 'x'",
      "grant select on contacts to reader",
      "create view more as select * from contacts",
      "lock table contacts",
    ])
      expect(viewed(text).classification.tables, text).not.toContain("crm.customers");
    for (const text of ["copy contacts to stdout", "declare c cursor for select * from contacts", "create table snapshot as select * from contacts", "prepare p as select * from contacts"])
      expect(viewed(text).classification.tables, text).toContain("crm.customers");
    expect(viewed("explain analyze select * from contacts").classification.tables).toContain("crm.customers");
  });

  it("judges what a view's definition calls: the owner's functions by their bodies, built-ins by their effects", () => {
    const purging = viewed("select * from purging");
    expect(purging.classification.runs).toContain("DELETE");
    expect(purging.classification.tables).toContain("victims");
    expect(purging.note).toContain("it reads purging, a view that calls purge, a function whose body runs DELETE (tables victims)");
    expect(classified("select * from files").copiesServerFile).toBe(false);
    expect(viewed("select * from files").classification.copiesServerFile).toBe(true);
  });

  it("fails closed on a view it cannot read, and names what it must look up first", () => {
    for (const text of ["select * from unreadable", "select * from broken", "select * from not_loaded"]) {
      const { classification, note } = viewed(text);
      expect(classification.classes, text).toEqual(expect.arrayContaining(["write", "ddl", "privileges"]));
      expect(note, text).toMatch(/could not read|cannot read/);
    }
    expect(unloadedReadTables(classified("select * from not_loaded join customers using (id)"), source, analyzer)).toEqual(["not_loaded"]);
    expect(unloadedReadTables(classified("select * from contacts"), source, analyzer)).toEqual([]);
  });

  it("reads a table's partitions or children, and the tables it is a partition or child of", () => {
    expect(viewed("select * from payments").classification.tables).toEqual(["payments", "crm.payments_eu"]);
    // What a write's hooks added (its partitions, a cascade's tables) is written, not read: the caller names them.
    expect(withViewReadEffects(classified("select * from payments"), source, analyzer, ["crm.payments"]).note).toBeUndefined();
    expect(viewed("select * from payments_eu").note).toBe("it reads payments_eu, a table of a partition or inheritance hierarchy that reads (tables crm.payments)");
  });
});
