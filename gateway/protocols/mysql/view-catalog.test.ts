import { describe, expect, it } from "vitest";
import { compileForGroups } from "../../../core/masking/compile-rules";
import { maskingRulesSchema } from "../../../core/masking/masking-rules";
import { Cursor, lenencBytes } from "./packet-codec";
import { RowMasker } from "./row-masker";
import type { ColumnDef } from "./column-definition";
import { ViewCatalog } from "./view-catalog";
import type { CatalogConnection, TextRow } from "./catalog-connection";

const masking = compileForGroups(maskingRulesSchema.parse({ columns: [{ column: "customers.email", style: "redact" }], detectors: { builtIn: [] } }), [])!;
const key = Buffer.alloc(32, 1);

/** information_schema.VIEWS as the target would answer it; `queries` records what was asked. */
function target(views: Record<string, string>, fail = false) {
  const queries: string[] = [];
  const connection = {
    async query(sql: string): Promise<TextRow[]> {
      queries.push(sql);
      if (fail) throw new Error("connection refused");
      const names = [...sql.matchAll(/0x([0-9a-f]+)/g)].map((m) => Buffer.from(m[1], "hex").toString());
      return Object.entries(views)
        .filter(([name]) => !sql.includes("where") || names.includes(name))
        .map(([name, definition]) => ["shop", name, definition]);
    },
  } as unknown as CatalogConnection;
  return { connection, queries };
}

const VIEWS = {
  contacts: "select `shop`.`customers`.`id` AS `id`,`shop`.`customers`.`email` AS `contact`,`shop`.`customers`.`name` AS `name` from `shop`.`customers`",
  contacts2: "select `c`.`contact` AS `c2`,`c`.`name` AS `name` from `shop`.`contacts` `c`",
  hidden: "",
};
const def = (table: string, orgName: string, orgTable = table): ColumnDef => ({ schema: "shop", table, orgTable, name: orgName, orgName, type: 0xfd });
const text = (v: string) => lenencBytes(Buffer.from(v));

/** The columns' values of one text row after masking (as given when nothing changed). */
function masked(m: RowMasker, values: string[]): string[] {
  const row = Buffer.concat(values.map(text));
  const out = m.textRow(row) ?? row;
  const c = new Cursor(out);
  return values.map(() => c.lenencString());
}

async function maskerFor(catalog: ViewCatalog, sql: string, defs: ColumnDef[]): Promise<RowMasker> {
  const m = new RowMasker(masking, key, catalog);
  await m.viewsReady(sql);
  m.reset(sql);
  for (const d of defs) m.addColumn(d);
  return m;
}

describe("MySQL views under column rules", () => {
  it("reads the views a statement names, and the views they read, once", async () => {
    const t = target(VIEWS);
    const catalog = new ViewCatalog(t.connection, () => {});
    await catalog.ensure(["contacts2"]);
    expect(t.queries).toHaveLength(3); // contacts2, then contacts, then customers (no view)
    expect(catalog.viewsNamed("contacts")?.map((v) => v.name)).toEqual(["contacts"]);
    expect(catalog.viewsNamed("shop.customers")).toEqual([]);
    expect(catalog.viewsNamed("other.contacts")).toEqual([]);
    expect(catalog.viewsNamed("never")).toBeUndefined();
    expect(catalog.ensure(["contacts2", "shop.contacts"])).toBeUndefined();
  });

  it("masks a view column by the base column it reads, through views of views, and leaves the others", async () => {
    const catalog = new ViewCatalog(target(VIEWS).connection, () => {});
    const m = await maskerFor(catalog, "select * from contacts2", [def("contacts2", "c2"), def("contacts2", "name")]);
    expect(masked(m, ["ann@example.com", "Ann"])).toEqual(["[REDACTED]", "Ann"]);
    // Under an alias, and a cursor's columns (the base table named, with the view's column name).
    const aliased = await maskerFor(catalog, "select x.contact, x.id from contacts x", [def("x", "contact"), def("x", "id")]);
    expect(masked(aliased, ["ann@example.com", "1"])).toEqual(["[REDACTED]", "1"]);
    const cursor = await maskerFor(catalog, "select contact from contacts", [def("contacts", "contact", "customers")]);
    expect(masked(cursor, ["ann@example.com"])).toEqual(["[REDACTED]"]);
    // A computed column over a view column.
    const computed = await maskerFor(catalog, "select upper(c2) as u from contacts2", [{ ...def("", ""), name: "u" }]);
    expect(masked(computed, ["ANN@EXAMPLE.COM"])).toEqual(["[REDACTED]"]);
  });

  it("masks every column of a view it cannot read, and everything read through views when the catalog fails (fail closed)", async () => {
    const catalog = new ViewCatalog(target(VIEWS).connection, () => {});
    const m = await maskerFor(catalog, "select id, note from hidden", [def("hidden", "id"), def("hidden", "note")]);
    expect(masked(m, ["1", "plain"])).toEqual(["[REDACTED]", "[REDACTED]"]);
    const logged: string[] = [];
    const down = new ViewCatalog(target(VIEWS, true).connection, (l) => logged.push(l));
    const d = await maskerFor(down, "select name from contacts", [def("contacts", "name")]);
    expect(masked(d, ["Ann"])).toEqual(["[REDACTED]"]);
    expect(logged[0]).toContain("could not read the target's views (connection refused)");
    // Stored functions that cannot be read (asked with the views): any function a text calls may be one (fail closed).
    await down.ensureFunctions();
    expect(down.isStoredFunction("upper")).toBe(true);
    expect(logged.at(-1)).toContain("could not read the target's stored functions");
  });

  it("knows the code a call runs: a routine's bodies and those of the routines they call; null when one cannot be read", async () => {
    const rows: TextRow[] = [
      ["p", "run_it", "begin call shop.exec_sql(q); end"],
      ["p", "exec_sql", "begin prepare s from @q; execute s; end"],
      ["f", "twice", "return concat(twice_inner(1), `twice`(0))"],
      ["f", "twice_inner", "return 1"],
      ["p", "hidden", null],
      ["p", "calls_hidden", "call hidden()"],
      ["t", "orders", ""],
      ["tupdate", "users", "insert into log values (old.code)"],
      ["tinsert", "users", "set new.at = now()"],
      ["tinsert", "carts", "begin call run_it('x'); end"],
      ["tdelete", "carts", "call calls_hidden()"],
    ];
    const catalog = new ViewCatalog({ query: async () => rows } as unknown as CatalogConnection, () => {});
    expect(catalog.routineCode("run_it")).toBeUndefined();
    await catalog.ensureFunctions();
    expect(catalog.routineCode("run_it")).toEqual(["begin call shop.exec_sql(q); end", "begin prepare s from @q; execute s; end"]);
    expect(catalog.routineCode("`shop`.`RUN_IT`")).toEqual(["begin call shop.exec_sql(q); end", "begin prepare s from @q; execute s; end"]);
    expect(catalog.routineCode("twice")).toEqual(["return concat(twice_inner(1), `twice`(0))", "return 1"]);
    expect([catalog.routineCode("hidden"), catalog.routineCode("calls_hidden")]).toEqual([null, null]);
    expect([catalog.routineCode("upper"), catalog.routineCode("orders")]).toEqual([[], []]);
    expect([catalog.isStoredFunction("twice"), catalog.isStoredFunction("run_it"), catalog.hasTriggers("orders")]).toEqual([true, false, true]);
    // What a write runs: its table's triggers for that kind of write, and the routines they call.
    expect(catalog.triggerCode("shop.users", ["update"])).toEqual(["insert into log values (old.code)"]);
    expect(catalog.triggerCode("users", ["insert", "delete"])).toEqual(["set new.at = now()"]);
    expect(catalog.triggerCode("carts", ["insert"])).toEqual(["begin call run_it('x'); end", "begin call shop.exec_sql(q); end", "begin prepare s from @q; execute s; end"]);
    expect(catalog.triggerCode("carts", ["delete"])).toBeNull();
    expect(catalog.triggerCode("plain", ["insert"])).toEqual([]);
  });

  it("reads again after DDL on the connection, and reads every view for a text that names none (CALL)", async () => {
    const t = target(VIEWS);
    const catalog = new ViewCatalog(t.connection, () => {});
    await catalog.ensure(["customers"]);
    catalog.afterStatement("select 1");
    expect(catalog.ensure(["customers"])).toBeUndefined();
    catalog.afterStatement("create or replace view customers2 as select 1");
    expect(catalog.viewsNamed("customers")).toBeUndefined();
    const m = await maskerFor(catalog, "call contacts_of(1)", [def("contacts", "contact")]);
    expect(t.queries.filter((q) => q.includes("information_schema.VIEWS")).at(-1)).not.toContain("where");
    expect(masked(m, ["ann@example.com"])).toEqual(["[REDACTED]"]);
  });

  it("tries a failed read again after a few seconds, not after the minute a successful one is kept", async () => {
    let now = 1_000_000;
    let down = true;
    const queries: string[] = [];
    const connection = {
      async query(sql: string): Promise<TextRow[]> {
        queries.push(sql);
        if (down) throw new Error("too many connections");
        return [];
      },
    } as unknown as CatalogConnection;
    const catalog = new ViewCatalog(
      connection,
      () => {},
      () => now,
    );
    await catalog.ensure(["orders"]);
    await catalog.ensureFunctions();
    expect([catalog.viewsNamed("orders"), catalog.triggerCode("orders", ["insert"]), catalog.cascadesOf("orders")]).toEqual([null, null, null]);
    down = false;
    now += 2_000;
    expect([catalog.ensure(["orders"]), catalog.ensureFunctions()]).toEqual([undefined, undefined]);
    now += 4_000;
    await catalog.ensure(["orders"]);
    await catalog.ensureFunctions();
    expect([catalog.viewsNamed("orders"), catalog.triggerCode("orders", ["insert"]), catalog.cascadesOf("orders")]).toEqual([[], [], []]);
    expect(queries).toHaveLength(4);
  });
});
