import { describe, expect, it } from "vitest";
import { analyzeMysql } from "./classify-mysql";
import { bodyEffects, withRoutineEffects, type RoutineSource } from "./mysql-routine-effects";

const classified = (sql: string) => {
  const a = analyzeMysql(sql);
  if (!a.ok) throw new Error(a.error);
  return a.statements[0].classification;
};

/** A catalog of these routine bodies by name (routineCode follows calls as ViewCatalog's does: here, by the names listed). */
function catalog(routines: Record<string, { body: string | null; calls?: string[] }>): RoutineSource {
  return {
    routineCode(name) {
      const out: string[] = [];
      const visit = (n: string): boolean => {
        const r = routines[n.split(".").at(-1)!];
        if (!r) return true;
        if (r.body === null) return false;
        out.push(r.body);
        return (r.calls ?? []).every(visit);
      };
      return visit(name) ? out : null;
    },
  };
}

const ROUTINES = catalog({
  erase: { body: "BEGIN\n  DELETE FROM victims WHERE id = p; -- one; row\n  RETURN 1;\nEND" },
  counted: { body: "RETURN (select count(*) from victims)" },
  wrapper: { body: "BEGIN RETURN erase(p); END", calls: ["erase"] },
  hidden: { body: null },
  looping: {
    body: `BEGIN DECLARE n INT DEFAULT 0; DECLARE done INT DEFAULT FALSE; DECLARE cur CURSOR FOR select id from victims;
      DECLARE CONTINUE HANDLER FOR NOT FOUND SET done = TRUE; OPEN cur;
      lp: LOOP FETCH cur INTO n; IF done THEN LEAVE lp; END IF;
        CASE n WHEN 1 THEN UPDATE victims SET name = 'x' WHERE id = n; ELSE BEGIN END; END CASE;
      END LOOP lp; CLOSE cur; RETURN n; END`,
  },
  concat: { body: "BEGIN DROP TABLE victims; RETURN x; END" },
  calls_udf: { body: "RETURN sys_exec('id')" },
});

describe("a statement judged with the stored functions it calls", () => {
  it("merges what a body writes into the SELECT that calls it, through a wrapper and a loop's CASE too", () => {
    for (const [sql, kind] of [
      ["select erase(1)", "DELETE"],
      ["select name from victims where wrapper(id) = 1", "DELETE"],
      ["select looping()", "UPDATE"],
    ]) {
      const { classification: c, note } = withRoutineEffects(classified(sql), ROUTINES);
      expect(c.classes, sql).toContain("write");
      expect(c.runs, sql).toContain(kind);
      expect(c.tables, sql).toContain("victims");
      expect(note, sql).toMatch(new RegExp(`a stored function whose body runs .*${kind}`));
    }
  });

  it("leaves a statement of built-ins alone, and a body that only reads adds its tables", () => {
    const plain = classified("select concat(name, upper(name)), count(*), now() from victims group by name");
    expect(withRoutineEffects(plain, ROUTINES).classification).toBe(plain);
    const { classification: c } = withRoutineEffects(classified("select counted()"), ROUTINES);
    expect(c.classes).toEqual(["read"]);
    expect(c.tables).toContain("victims");
  });

  it("a call it cannot read is code the gateway cannot see: an unknown function (a UDF), an unreadable body, a stored function named as a built-in and called by its database", () => {
    for (const [sql, why] of [
      ["select sys_exec('rm -rf /')", "neither a built-in function nor a stored function"],
      ["select hidden()", "could not read"],
      ["select shop.concat('a')", "runs DROP TABLE"],
      ["select calls_udf()", "calls sys_exec"],
    ]) {
      const { classification: c, note } = withRoutineEffects(classified(sql), ROUTINES);
      expect(c.classes, sql).toEqual(expect.arrayContaining(sql.includes("concat") ? ["ddl"] : ["anonymous-code", "write", "ddl", "privileges"]));
      expect(note, sql).toContain(why);
    }
    // Without a catalog (it could not be read), any function but a built-in is such a call.
    expect(withRoutineEffects(classified("select counted()"), null).classification.classes).toContain("anonymous-code");
  });

  it("reads a body's control flow: conditions as SELECTs, its own variables set without changing a setting", () => {
    const read = bodyEffects("BEGIN DECLARE v INT DEFAULT (select max(id) from t1); WHILE v < 3 DO SET v = v + 1; END WHILE; REPEAT SET v = v - 1; UNTIL v = 0 END REPEAT; RETURN v; END");
    expect("effects" in read && read.effects.flatMap((e) => e.tables)).toEqual(["t1"]);
    expect("effects" in read && read.effects.flatMap((e) => e.sessionSettings)).toEqual([]);
    const sets = bodyEffects("BEGIN SET sql_mode = ''; RETURN 1; END");
    expect("effects" in sets && sets.effects.flatMap((e) => e.sessionSettings)).toEqual(["sql_mode"]);
    // A parameter set in the body is the routine's variable too; a setting of another name stays one.
    const param = bodyEffects("BEGIN SET p = p + 1; SET sql_mode = ''; RETURN p; END", undefined, ["p"]);
    expect("effects" in param && param.effects.flatMap((e) => e.sessionSettings)).toEqual(["sql_mode"]);
    // GET DIAGNOSTICS into the body's own variables (a handler's usual first statement) sets no session setting either.
    const diagnosed = bodyEffects("BEGIN DECLARE n INT; DELETE FROM t1 WHERE id = 1; GET DIAGNOSTICS n = ROW_COUNT; RETURN n; END");
    expect("effects" in diagnosed && diagnosed.effects.flatMap((e) => e.sessionSettings)).toEqual([]);
    const unknown = bodyEffects("BEGIN SET p = p + 1; RETURN p; END");
    expect("effects" in unknown && unknown.effects.flatMap((e) => e.sessionSettings)).toEqual(["p"]);
    const loop = bodyEffects("begin for r in (select id from t2) do update t3 set c = 1 where id = r.id; end for; return 1; end");
    expect("effects" in loop && loop.effects.flatMap((e) => e.tables)).toEqual(["t2", "t3"]);
  });

  it("says why a body it cannot read is unreadable", () => {
    expect(bodyEffects("BEGIN IF x DELETE FROM t; END IF; END")).toEqual({ why: "no THEN after IF" });
    expect(bodyEffects("BEGIN frobnicate the table; END")).toMatchObject({ why: expect.stringContaining("frobnicate") });
    expect(bodyEffects("BEGIN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = f(); END")).toMatchObject({ why: expect.stringContaining("SIGNAL") });
  });
});
