import { describe, expect, it } from "vitest";
import { writtenTables } from "./written-tables";

describe("the tables a text writes, by its words", () => {
  it("reads MySQL's modifiers before the table a write names (a table may have a modifier's name)", () => {
    for (const [text, table, events] of [
      ["insert low_priority ignore into v values (1)", "v", ["insert"]],
      ["insert delayed v values (1)", "v", ["insert"]],
      ["replace low_priority into `shop`.`v` values (1)", "shop.v", ["insert", "delete"]],
      ["update low_priority ignore v set a = 1", "v", ["update"]],
      ["delete low_priority quick ignore from v where id = 1", "v", ["delete"]],
      ["update low_priority set a = 1", "low_priority", ["update"]],
      ["insert into ignore_list values (1) on duplicate key update n = n + 1", "ignore_list", ["insert", "update"]],
    ] as const)
      expect(writtenTables(text, "mysql"), text).toEqual([{ table, events }]);
  });

  it("reads Postgres's ONLY and aliases", () => {
    expect(writtenTables("update only public.t as x set a = 1; delete from only u")).toEqual([
      { table: "public.t", events: ["update"] },
      { table: "u", events: ["delete"] },
    ]);
  });
});
