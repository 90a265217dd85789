import { describe, expect, it } from "vitest";
import { ClientCharset, swallowsSyntax } from "./mysql-charsets";

const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "latin1") : Buffer.from(p))));

describe("swallowsSyntax", () => {
  it("finds a backslash or backtick that a multi-byte character of gbk, big5, sjis or gb18030 ends in", () => {
    expect(swallowsSyntax(bytes("select '", [0xbf, 0x5c], "'; delete from t; -- '"))).toBe(true); // gbk
    expect(swallowsSyntax(bytes("select '", [0xa4, 0x5c], "'"))).toBe(true); // big5
    expect(swallowsSyntax(bytes("select '", [0x95, 0x5c], "'"))).toBe(true); // sjis
    expect(swallowsSyntax(bytes("select `", [0x81, 0x60], " from t"))).toBe(true); // a backtick
    expect(swallowsSyntax(bytes("select '", [0x81, 0x30, 0x81, 0x30, 0x81, 0x5c], "'"))).toBe(true); // gb18030 after a four-byte character
  });

  it("passes ASCII, and UTF-8 whose characters do not pair a backslash", () => {
    expect(swallowsSyntax(Buffer.from("select 'it\\'s' as a, `b` from t"))).toBe(false);
    expect(swallowsSyntax(Buffer.from("select 'café\\'s'", "utf8"))).toBe(false); // c3 a9 5c: the pair ends before the backslash
    expect(swallowsSyntax(Buffer.from("select '中文'", "utf8"))).toBe(false);
    expect(swallowsSyntax(Buffer.from("select '中\\n'", "utf8"))).toBe(true); // e4 b8 ad 5c: (ad 5c) is a gbk character
    expect(swallowsSyntax(bytes([0x03], "select '", [0xbf, 0x5c]), 1)).toBe(true);
  });
});

describe("ClientCharset", () => {
  const swallowed = bytes("select '", [0xbf, 0x5c], "'; delete from t; -- '");
  const text = swallowed.toString("utf8");

  it("starts from the handshake's collation: gbk, big5, sjis, cp932 are unsafe; utf8mb4 and latin1 are not", () => {
    for (const id of [28, 87, 1, 84, 13, 95]) expect(new ClientCharset(id).ambiguous(swallowed, 0, text), String(id)).toBe(true);
    for (const id of [45, 46, 224, 33, 8, 63]) expect(new ClientCharset(id).ambiguous(swallowed, 0, text), String(id)).toBe(false);
  });

  it("follows SET NAMES, SET CHARACTER SET and character_set_client, and mysqldump's save and restore", () => {
    const c = new ClientCharset(45);
    c.after("SET NAMES gbk");
    expect(c.ambiguous(swallowed, 0, text)).toBe(true);
    c.after("/*!40101 SET NAMES utf8mb4 */");
    expect(c.ambiguous(swallowed, 0, text)).toBe(false);
    c.after("/*!40101 SET @saved_cs_client     = @@character_set_client */");
    c.after("/*!40101 SET character_set_client = utf8 */");
    expect(c.ambiguous(swallowed, 0, text)).toBe(false);
    c.after("/*!40101 SET character_set_client = @saved_cs_client */");
    expect(c.ambiguous(swallowed, 0, text)).toBe(false);
    c.after("set @@session.character_set_client = 'sjis'");
    expect(c.ambiguous(swallowed, 0, text)).toBe(true);
    c.reset();
    expect(c.ambiguous(swallowed, 0, text)).toBe(false);
    for (const unknown of [
      "set character_set_client = @nobody_saved_it",
      "set names default",
      "set character set big5",
      "set character_set_client = (select 'gbk')",
      "set session character_set_client = concat('g', 'bk')",
    ]) {
      const d = new ClientCharset(45);
      d.after(unknown);
      expect(d.ambiguous(swallowed, 0, text), unknown).toBe(true);
    }
  });

  it("judges a text that changes the character set itself, whatever the session's was", () => {
    const t = bytes("set names gbk; select '", [0xbf, 0x5c], "'; delete from t; -- '");
    expect(new ClientCharset(45).ambiguous(t, 0, t.toString("utf8"))).toBe(true);
    expect(new ClientCharset(45).ambiguous(Buffer.from("select 'names'"), 0, "select 'names'")).toBe(false);
  });
});
