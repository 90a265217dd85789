import { describe, expect, it } from "vitest";
import type { TriggerSource } from "./mysql-trigger-effects";
import { VIEW_NESTING, withViewReadEffects } from "./mysql-view-reads";
import { mysqlClassified } from "./mysql-classified.test-support";

const one = mysqlClassified;
// As information_schema.VIEWS gives them: qualified, quoted.
const VIEWS: Record<string, string[] | null> = {
  contacts: ["select `shop`.`customers`.`id` AS `id`,`shop`.`customers`.`email` AS `email` from `shop`.`customers`"],
  contact_counts: ["select count(0) AS `n` from `shop`.`contacts`"],
  purging: ["select `shop`.`purge`() AS `p`"],
  hidden: [""],
  broken: ["select from where ("],
  unreadable: null,
  // deep_0 over deep_1 over ... over deep_<VIEW_NESTING + 1>, a table.
  ...Object.fromEntries(Array.from({ length: VIEW_NESTING + 1 }, (_, i) => [`deep_${i}`, [`select \`x\` AS \`x\` from \`shop\`.\`deep_${i + 1}\``]])),
};
const source: TriggerSource = {
  routineCode: (name) => (name.split(".").at(-1) === "purge" ? ["begin delete from victims; return 1; end"] : []),
  triggerCode: () => [],
  viewsNamed: (name) => {
    const key = name.replace(/`/g, "").split(".").at(-1)!;
    if (key === "not_loaded") return undefined;
    if (!(key in VIEWS)) return [];
    const v = VIEWS[key];
    return v && v.map((definition) => ({ definition }));
  },
};
const viewed = (text: string) => withViewReadEffects(one(text), source, undefined, text);

describe("a MySQL read judged with what the views it reads read", () => {
  it("reads the tables a view reads, through views over views, and says so", () => {
    const { classification, note } = viewed("select * from contact_counts");
    expect(classification.tables).toEqual(["contact_counts", "shop.contacts", "shop.customers"]);
    expect(note).toBe("it reads contact_counts, a view that reads (tables shop.contacts); it reads contact_counts, a view over shop.contacts, a view that reads (tables shop.customers)");
    expect(viewed("insert into archive select * from contacts").classification.runs).toContain("SELECT");
    expect(viewed("select 1 from dual where exists (select 1 from shop.contacts)").classification.tables).toContain("shop.customers");
  });

  it("leaves plain tables, a write into a view (followed as a write elsewhere), statements that read no rows and a catalog-less guard as they are", () => {
    for (const text of ["select * from customers", "delete from contacts where id = 1", "describe contacts", "explain select * from contacts", "drop view contacts", "show create view contacts"])
      expect(viewed(text).classification, text).toBe(one(text));
    expect(withViewReadEffects(one("select * from contacts"), null).classification).toBe(one("select * from contacts"));
  });

  it("judges the stored functions a view calls by their bodies", () => {
    const { classification, note } = viewed("select * from purging");
    expect(classification.runs).toContain("DELETE");
    expect(note).toContain("it reads purging, a view that calls shop.purge, a stored function whose body runs DELETE (tables victims)");
  });

  it("fails closed on a view it could not look up or read", () => {
    for (const [text, why] of [
      ["select * from hidden", "definition the connection's account cannot see"],
      ["select * from broken", "definition the gateway cannot read"],
      ["select * from unreadable", "may be a view the gateway could not read"],
      ["select * from not_loaded", "may be a view the gateway has not read"],
    ]) {
      const { classification, note } = viewed(text);
      expect(classification.classes, text).toEqual(expect.arrayContaining(["write", "ddl", "privileges"]));
      expect(note, text).toContain(why);
    }
  });

  it("follows views over views VIEW_NESTING levels down, and fails closed deeper", () => {
    const shallow = viewed(`select * from deep_1`);
    expect(shallow.classification.classes).not.toContain("write");
    expect(shallow.classification.tables).toContain(`shop.deep_${VIEW_NESTING + 1}`);
    const deep = viewed("select * from deep_0");
    expect(deep.classification.classes).toEqual(expect.arrayContaining(["write", "ddl", "privileges"]));
    expect(deep.note).toContain(`nested more than ${VIEW_NESTING} levels deep`);
  });
});
