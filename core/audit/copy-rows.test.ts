import { describe, expect, it } from "vitest";
import { COPY_EVENTS_SQL, copyLines, STORED_COLUMNS } from "./copy-rows";

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
    expect(fields).toHaveLength(STORED_COLUMNS.length);
    expect(COPY_EVENTS_SQL).toContain(`(${STORED_COLUMNS.join(", ")})`);
    const byColumn = Object.fromEntries(STORED_COLUMNS.map((c, i) => [c, fields[i]]));
    expect(byColumn).toMatchObject({ at: row.at, identity_id: "\\N", session_id: "\\N", message: "\\N", seq: "7", rows: "3", hash: "h" });
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
