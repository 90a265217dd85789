import { describe, expect, it } from "vitest";
import { ClientEncoding } from "./client-encoding";
import { parameterStatus } from "./backend-messages";

/** A Query message of these bytes. */
const query = (...parts: Array<string | number[]>) => {
  const body = Buffer.concat([...parts.map((p) => (typeof p === "string" ? Buffer.from(p, "latin1") : Buffer.from(p))), Buffer.from([0])]);
  const head = Buffer.alloc(5);
  head[0] = 0x51;
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
};
const swallowing = query("select E'", [0x95, 0x5c], "'; delete from t; -- '");
const ambiguous = (e: ClientEncoding, m: Buffer) => e.ambiguous(m, 0, m.length);

describe("ClientEncoding", () => {
  it("in UTF8 reads every text as the server does; in SJIS, GBK, BIG5 or GB18030 refuses a character that swallows a backslash", () => {
    expect(ambiguous(new ClientEncoding("UTF8"), swallowing)).toBe(false);
    for (const enc of ["SJIS", "GBK", "BIG5", "GB18030", "UHC"]) expect(ambiguous(new ClientEncoding(enc), swallowing), enc).toBe(true);
    // A letter or a digit swallowed changes no token's end: SJIS "テスト" (83 65, 83 58, 83 67) passes.
    expect(ambiguous(new ClientEncoding("SJIS"), query("select '", [0x83, 0x65, 0x83, 0x58, 0x83, 0x67], "'"))).toBe(false);
    // Half-width katakana are one byte in SJIS: the backslash after one stays a backslash.
    expect(ambiguous(new ClientEncoding("SJIS"), query("select E'", [0xb1], "\\\\'"))).toBe(false);
  });

  it("follows the target's client_encoding reports", () => {
    const e = new ClientEncoding("UTF8");
    const report = parameterStatus("client_encoding", "SJIS");
    e.onParameterStatus(report, 0, report.length);
    expect(ambiguous(e, swallowing)).toBe(true);
  });

  it("assumes every unsafe encoding once a text sets one it cannot tell (a pipelined text is judged before the report); a written-out safe one does not", () => {
    for (const text of ["SET client_encoding TO 'UTF8'", "set names 'latin1'", "SET client_encoding = utf8;"]) {
      const e = new ClientEncoding("UTF8");
      e.noteText(text);
      expect(ambiguous(e, swallowing), text).toBe(false);
    }
    for (const text of ["set client_encoding to 'SJIS'", "set names gbk", "select set_config('client_encoding', 'SJIS', false)", "set client_encoding = default"]) {
      const e = new ClientEncoding("UTF8");
      e.noteText(text);
      expect(ambiguous(e, swallowing), text).toBe(true);
    }
  });

  it("keeps judging in the encoding the session started with, which RESET and DISCARD ALL go back to", () => {
    const e = new ClientEncoding("SJIS");
    const report = parameterStatus("client_encoding", "UTF8");
    e.onParameterStatus(report, 0, report.length);
    expect(ambiguous(e, swallowing)).toBe(true);
  });
});
