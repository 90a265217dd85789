import { describe, expect, it } from "vitest";
import { inFamilies } from "./result-columns";
import type { ViewBaseColumn } from "./column-catalog";

describe("inFamilies: a view's column read from a table of a partition or inheritance hierarchy", () => {
  const base: ViewBaseColumn[] = [
    { table: "ledger.entries", column: "id", kind: "p", family: [{ schema: "ledger", table: "customers" }] },
    { table: "ledger.entries", column: "name", kind: "p", family: [{ schema: "ledger", table: "customers" }] },
    { table: "public.notes", column: "body", kind: "r" },
  ];

  it("gives the same column of each table of the read table's hierarchy, once per table", () => {
    expect(inFamilies([{ table: "entries", column: "name" }], base)).toEqual([{ table: "ledger.customers", column: "name" }]);
    expect(inFamilies([{ table: "ledger.entries", column: "id" }], base)).toEqual([{ table: "ledger.customers", column: "id" }]);
  });

  it("reads a column of an unknown table in every base table's hierarchy, and adds nothing for a table outside one", () => {
    expect(inFamilies([{ table: null, column: "name" }], base)).toEqual([{ table: "ledger.customers", column: "name" }]);
    expect(inFamilies([{ table: "notes", column: "body" }], base)).toEqual([]);
    expect(inFamilies([{ table: "other", column: "name" }], base)).toEqual([]);
  });
});
