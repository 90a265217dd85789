import { describe, expect, it } from "vitest";
import { quotedParts, quotingAmbiguous, splitMysql } from "./mysql-lexer";

describe("MySQL lexing under the server's quoting rules", () => {
  it("splits with backslash escapes in both kinds of string, in '...' only (ANSI_QUOTES), or in none (NO_BACKSLASH_ESCAPES)", () => {
    const text = "select '\\' ; drop table t; -- '";
    const executables = (escapes?: "all" | "single" | "none") => {
      const r = splitMysql(text, undefined, escapes);
      return r.ok ? r.statements.map((s) => s.executable) : r.error;
    };
    expect(executables()).toEqual(["select '\\' ; drop table t; -- '"]);
    expect(executables("none")).toEqual(["select '\\'", "drop table t"]);
    expect(splitMysql('select "a\\" ; drop table t; -- "', undefined, "single")).toMatchObject({ ok: true, statements: [{ executable: 'select "a\\"' }, { executable: "drop table t" }] });
  });

  it("a text is ambiguous when the session's mode, or a SET of sql_mode in it, or a double-quoted span would split it otherwise", () => {
    expect(quotingAmbiguous("select 'it\\'s'", false)).toBe(false);
    expect(quotingAmbiguous("select 'it\\'s'", true)).toBe(true);
    expect(quotingAmbiguous("select 'c:\\dir' as a", true)).toBe(false);
    expect(quotingAmbiguous("set sql_mode = 'NO_BACKSLASH_ESCAPES'; select '\\' ; drop table t; -- '", false)).toBe(true);
    expect(quotingAmbiguous("select @@sql_mode, 'it\\'s'", false)).toBe(false);
    expect(quotingAmbiguous('select "\\" ; drop table t; -- "', false)).toBe(true);
    expect(quotingAmbiguous("select 'no backslash' ; select 2", true)).toBe(false);
  });

  it("quoted parts and code apart, linearly", () => {
    expect(quotedParts("prepare s from 'kill 1' -- x")).toEqual({ code: "prepare s from '' -- x", strings: ["kill 1"] });
  });
});
