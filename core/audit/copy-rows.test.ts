import { describe, expect, it } from "vitest";
import { COPY_EVENTS_SQL, copyLines, SEARCH_COLUMNS, STORED_COLUMNS } from "./copy-rows";
import { shapeHash } from "./statement-shape";

// COPY's text format by hand: what each column's input function reads. (e2e/audit/event-store.test.ts
// stores such rows in PostgreSQL and verifies their chain against what was stored.)
describe("audit rows as COPY text", () => {
  const row = {
    at: "2026-12-03T10:00:00.000Z",
    action: "statement",
    outcome: "ok",
    identity_name: "a\tb\nc\r\\d",
    groups: ['x"y', "a,b", "NULL", "back\\slash", ""],
    statement: "select '\\N'",
    duration_ms: Math.fround(0.1),
    rows: 3,
    details: { k: "v\tw" },
    instance: "gw-1",
    seq: 7,
    hash: "h",
  };

  it("writes one tab-separated line per row, in the column order of the COPY statement, with \\N for missing values", () => {
    const line = copyLines([row]);
    expect(line.endsWith("\n")).toBe(true);
    const fields = line.slice(0, -1).split("\t");
    const columns = [...STORED_COLUMNS, ...SEARCH_COLUMNS];
    expect(fields).toHaveLength(columns.length);
    expect(COPY_EVENTS_SQL).toContain(`(${columns.join(", ")})`);
    const byColumn = Object.fromEntries(columns.map((c, i) => [c, fields[i]]));
    expect(byColumn).toMatchObject({ at: row.at, identity_id: "\\N", session_id: "\\N", message: "\\N", seq: "7", rows: "3", hash: "h" });
    // The search columns, read off the statement (a statement without digits has no digit runs); its shape goes to the caller.
    const shapes = new Map<string, string>();
    const line2 = copyLines(
      [
        { ...row, statement: "select 12 from t3 where a = 'x45'" },
        { ...row, statement: null },
      ],
      shapes,
    ).split("\n");
    expect(line2[0].split("\t").slice(-2)).toEqual([shapeHash("select 0 from t0 where a = 'x0'"), "12 3 45"]);
    expect(line2[1].split("\t").slice(-2)).toEqual(["\\N", "\\N"]);
    expect([...shapes.values()]).toEqual(["select 0 from t0 where a = 'x0'"]);
    expect(byColumn.numbers).toBe("\\N");
    expect(Number(byColumn.duration_ms)).toBe(Math.fround(0.1));
  });

  it("escapes backslashes, tabs and line breaks, and quotes every array element", () => {
    const fields = copyLines([row]).slice(0, -1).split("\t");
    const at = (c: (typeof STORED_COLUMNS)[number]) => fields[STORED_COLUMNS.indexOf(c)];
    expect(at("identity_name")).toBe("a\\tb\\nc\\r\\\\d");
    expect(at("statement")).toBe("select '\\\\N'");
    // The array literal {"x\"y","a,b","NULL","back\\slash",""}, then COPY's own escaping of its backslashes.
    expect(at("groups")).toBe('{"x\\\\"y","a,b","NULL","back\\\\\\\\slash",""}');
    expect(at("details")).toBe('{"k":"v\\\\tw"}');
    expect(copyLines([{ ...row, groups: [] }]).split("\t")[STORED_COLUMNS.indexOf("groups")]).toBe("{}");
    expect(copyLines([{ ...row, groups: null, details: null }]).split("\t")[STORED_COLUMNS.indexOf("groups")]).toBe("\\N");
  });
});
