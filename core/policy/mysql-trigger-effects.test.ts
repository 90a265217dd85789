import { describe, expect, it } from "vitest";
import { bodyEffects } from "./mysql-routine-effects";
import { withTriggerEffects, type TriggerSource } from "./mysql-trigger-effects";
import { mysqlClassified } from "./mysql-classified.test-support";

const one = mysqlClassified;
const TRIGGERS: Record<string, Record<string, string[]>> = {
  jobs: { insert: ["delete from victims where id = new.id"] },
  stamped: { insert: ["begin set new.at = now(), new.`code` = upper(new.code); end"], update: ["set new.at = now()"] },
  relay: { insert: ["insert into jobs values (new.id)"] },
  shelled: { delete: ["do sys_exec(concat('rm ', old.path))"] },
};
const source = (triggers: Record<string, Record<string, string[]>> | null = TRIGGERS): TriggerSource => ({
  routineCode: (name) => (name === "sys_exec" ? [] : undefined),
  triggerCode: (table, events) => (triggers === null ? null : events.flatMap((e) => triggers[table.split(".").at(-1)!]?.[e] ?? [])),
});

describe("a MySQL write judged with the triggers it fires", () => {
  it("merges what the triggers for its kinds of write run, through the triggers of the tables they write too", () => {
    for (const [text, kind, says] of [
      ["insert into jobs values (1)", "DELETE", "it writes jobs, whose trigger runs DELETE (tables victims)"],
      ["replace into shop.jobs values (1)", "DELETE", "it writes shop.jobs, whose trigger runs DELETE"],
      ["insert into relay values (1)", "DELETE", "it writes relay, whose trigger writes jobs, whose trigger runs DELETE (tables victims)"],
    ] as const) {
      const c = one(text);
      const r = withTriggerEffects(c, source());
      expect(r.classification.runs, text).toContain(kind);
      expect(r.classification.tables, text).toContain("victims");
      expect(r.note, text).toContain(says);
      expect(c.tables, "the cached classification is left as it was").not.toContain("victims");
    }
  });

  it("adds nothing for triggers that only set the new row's values, for other kinds of write, for reads, or without a catalog", () => {
    for (const text of ["insert into stamped (id, code) values (1, 'a')", "update stamped set id = 2", "delete from jobs", "select * from jobs", "insert into plain values (1)"]) {
      const c = one(text);
      const r = withTriggerEffects(c, source());
      expect(r.classification.classes, text).toEqual(c.classes);
      expect(r.classification.sessionSettings, text).toEqual([]);
      expect(r.classification.runs, text).toEqual(c.runs);
    }
    expect(withTriggerEffects(one("insert into jobs values (1)"), null).note).toBeUndefined();
    // NEW.col and OLD.col are the row's values: `SET new.at = ...` is read as an assignment of the body's own.
    expect(bodyEffects("set new.at = (select max(at) from logs), old.x = 1", undefined)).toMatchObject({ effects: [{ kind: "SELECT", classes: ["read"], tables: ["logs"], sessionSettings: [] }] });
  });

  it("fails closed on triggers it cannot read or that call what is no stored routine", () => {
    for (const [text, source_, says] of [
      [
        "delete from shelled where id = 1",
        source(),
        "it writes shelled, whose trigger (or a routine it calls) is code that calls sys_exec, which is neither a built-in function nor a stored function the gateway can read",
      ],
      ["insert into jobs values (1)", source(null), "it writes jobs, whose triggers (or a routine they call) the gateway could not read"],
    ] as const) {
      const r = withTriggerEffects(one(text), source_);
      expect(r.classification.classes, text).toEqual(expect.arrayContaining(["write", "ddl", "privileges", "anonymous-code"]));
      expect(r.note, text).toContain(says);
    }
  });
});

describe("a MySQL write into a view", () => {
  const views: Record<string, Array<{ definition: string }>> = {
    victims_v: [{ definition: "select `shop`.`victims`.`id` AS `id` from `shop`.`victims` where `shop`.`victims`.`id` > 0" }],
    jobs_v: [{ definition: "select `shop`.`jobs`.`id` AS `id` from `shop`.`jobs`" }],
  };
  const withViews = (known: Record<string, Array<{ definition: string }>> | null): TriggerSource => ({
    ...source(),
    viewsNamed: (name) => (known === null ? null : (known[name.split(".").at(-1)!] ?? [])),
  });
  const judged = (text: string, s = withViews(views)) => withTriggerEffects(one(text), s, undefined, text);

  it("writes the tables the view reads, whose triggers fire; reading a view in a write is no write to it", () => {
    expect(judged("delete from victims_v where id = 1")).toMatchObject({ classification: { tables: expect.arrayContaining(["shop.victims"]) } });
    expect(judged("delete from victims_v where id = 1").note).toContain("it writes victims_v, a view that runs DELETE (tables shop.victims)");
    expect(judged("insert into jobs_v values (1)").note).toContain("it writes jobs_v, a view over shop.jobs, whose trigger runs DELETE (tables victims)");
    const copied = judged("insert into plain select id from victims_v");
    expect(copied.classification.tables).not.toContain("shop.victims");
    expect(copied.note).toBeUndefined();
  });

  it("takes every table a multi-table UPDATE or DELETE names as written (its words do not say which): a view among them writes its tables", () => {
    for (const text of ["delete victims_v from victims_v join plain using (id)", "update plain join victims_v using (id) set victims_v.id = 2", "update plain, victims_v set plain.id = 1"])
      expect(judged(text).note, text).toContain("a view that runs");
    expect(judged("update plain join jobs_v using (id) set jobs_v.id = 2").classification.tables).toContain("shop.jobs");
  });

  it("fails closed when the views could not be read", () => {
    const r = judged("update maybe_view set id = 2", withViews(null));
    expect(r.classification.classes).toContain("anonymous-code");
    expect(r.note).toContain("it writes maybe_view, which may be a view the gateway could not read");
  });
});

describe("a MySQL write that cascades through foreign keys", () => {
  it("deletes or updates the referencing rows, without their triggers (InnoDB fires none for a cascade)", () => {
    const s: TriggerSource = {
      ...source({ ...TRIGGERS, owners: {}, victims: { delete: ["insert into audit_log values (old.id)"] } }),
      cascadesOf: (table) => (table === "owners" ? [{ table: "shop.victims", onDelete: "CASCADE", onUpdate: "SET NULL" }] : []),
    };
    const deleted = withTriggerEffects(one("delete from owners where id = 1"), s, undefined, "delete from owners where id = 1");
    expect(deleted.note).toBe("it writes owners, whose rows shop.victims references with ON DELETE CASCADE, which runs DELETE (tables shop.victims)");
    expect(deleted.classification.tables).toContain("shop.victims");
    expect(withTriggerEffects(one("update owners set id = 2"), s).note).toContain("references with ON UPDATE SET NULL, which runs UPDATE");
    expect(withTriggerEffects(one("insert into owners values (1)"), s).note).toBeUndefined();
    expect(withTriggerEffects(one("delete from owners"), { ...s, cascadesOf: () => null }).note).toContain("whose foreign keys the gateway could not read");
  });
});
