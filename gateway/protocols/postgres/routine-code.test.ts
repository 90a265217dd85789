import { describe, expect, it } from "vitest";
import { hookedRoutines, writeHooksOf, type TableHookRow } from "./routine-code";

const row = (r: Partial<TableHookRow>): TableHookRow => ({ name: "t", triggers: [], rules: [], computed: [], through: [], referenced: [], reads: [], ancestors: null, descendants: null, ...r });

describe("a table's hooks from its catalog rows (TABLE_HOOKS)", () => {
  it("reads trigger events from tgtype's bits, rule actions after their header, and foreign keys' writing actions", () => {
    const hooks = writeHooksOf([
      row({
        triggers: [
          ["audit_row", (1 << 2) | (1 << 4)],
          ["on_truncate", 1 << 5],
        ],
        rules: [["4", "CREATE RULE r AS\n    ON DELETE TO public.t DO INSTEAD  DELETE FROM victims;"]],
        computed: [["code", "next_code()"]],
        referenced: [
          ["public.orders", "c", "a"],
          ["public.notes", "r", "n"],
        ],
      }),
    ]);
    expect(hooks.insert.functions).toEqual(["audit_row"]);
    expect(hooks.update.functions).toEqual(["audit_row"]);
    expect(hooks.delete).toEqual({ functions: [], rules: ["DELETE FROM victims;"] });
    expect(hooks.truncate).toEqual(["on_truncate"]);
    expect(hooks.cascades).toEqual([
      { table: "public.orders", onDelete: "CASCADE", onUpdate: undefined },
      { table: "public.notes", onDelete: undefined, onUpdate: "SET NULL" },
    ]);
    expect(hookedRoutines(hooks)).toEqual(["audit_row", "on_truncate", "next_code"]);
  });

  it("reads a view's relations and definitions (its own first), and a table's hierarchy, over the relations of one name in every schema", () => {
    const hooks = writeHooksOf([
      row({
        reads: [
          ["crm.customers", false, null],
          ["crm.contacts", true, " SELECT peek(customers.id) AS p FROM crm.customers;"],
        ],
      }),
      row({ ancestors: [["billing", "payments"]], descendants: [["billing", "t_2026"]] }),
      row({ ancestors: [["archive", "payments"]] }),
    ]);
    expect(hooks.reads).toEqual({ relations: ["crm.customers"], definitions: [" SELECT peek(customers.id) AS p FROM crm.customers;"] });
    expect(hooks.ancestors).toEqual(["archive.payments", "billing.payments"]);
    expect(hooks.descendants).toEqual(["billing.t_2026"]);
    expect(hookedRoutines(hooks)).toContain("peek");
    expect(writeHooksOf([row({})]).reads).toBeUndefined();
  });
});
