import { describe, expect, it } from "vitest";
import { BUILT_IN_DETECTORS } from "./detectors";
import { compileForGroups } from "./compile-rules";
import { maskingRulesSchema } from "./masking-rules";
import { maskText, maskValue } from "./mask-text";
import { ValueMasker } from "./value-masker";
import { writesIntoMaskedColumns, maskedLiteral } from "./masked-writes";
import { loadSqlParser, StatementAnalyzer } from "../sql/statement-analyzer";
import { beforeAll } from "vitest";

const key = Buffer.alloc(32, 3);
const masking = compileForGroups(maskingRulesSchema.parse({ columns: [{ column: "customers.email", style: "token" }, { column: "customers.card" }] }), [])!;

const CORPUS = [
  "plain words",
  "12345",
  "2026-11-22 10:00:00+00",
  "ann@example.com",
  "card 4111-1111-1111-1111 ok",
  "4111111111111112",
  "ssn 078-05-1120",
  "GB82 WEST 1234 5698 7654 32",
  "10.0.0.1",
  "fe80:0:0:0:0:0:0:1",
  "2001:db8::1",
  "call +44 20 7946 0958",
  "(415) 555-0100",
  "sk_live_abcdefghijklmnop1234",
  "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
  "AIzaSyA-1234567890abcdefghijklmnopqrstu",
  "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdefghijklmnop",
  "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----",
  '{"a": ["x@y.io", 1]}',
  "{a@b.co,c}",
  '(1,"x@y.io")',
  "münchen ünïcödé ann@exämple.com",
  "version 1.2.3.4",
];

describe("[MASKING][VALUE-MASKER] the fast path finds exactly what the detectors find", () => {
  it("skips no value a detector would match (content features are only a pre-filter)", () => {
    const m = new ValueMasker({ detectors: BUILT_IN_DETECTORS, detectorStyle: "redact", columns: [] }, key);
    for (const text of CORPUS) {
      const expected = maskText(text, BUILT_IN_DETECTORS, "redact", key).text;
      expect(m.scanText(text) ?? text, text).toBe(expected);
      const bytes = Buffer.from(`xx${text}yy`);
      expect(m.scanBytes(bytes, 2, bytes.length - 2) ?? text, text).toBe(expected);
    }
  });

  it("masks a value's bytes exactly as its text (token and partial), multi-byte characters kept", () => {
    const m = new ValueMasker(masking, key);
    for (const v of ["ann@example.com", "4111 1111 1111 1234", "Jürgen-Straße 12", ""]) {
      const b = Buffer.from(v);
      expect(String(m.wholeBytes(b, 0, b.length, "token", "r"))).toBe(maskValue(v, "token", key));
      expect(String(m.wholeBytes(b, 0, b.length, "partial", "r"))).toBe(maskValue(v, "partial", key));
    }
    expect(m.takeCounts()).toEqual({ "column:r": 8 });
    expect(m.takeCounts()).toBeNull();
  });
});

describe("[MASKING][WRITE-BACK] writes of masked values into masked columns, from the parse tree", () => {
  beforeAll(() => loadSqlParser());
  const analyzer = new StatementAnalyzer();
  const writes = (sql: string) => {
    const a = analyzer.analyze(sql);
    if (!a.ok) throw new Error(a.error);
    return a.statements.flatMap((s) => writesIntoMaskedColumns(s.tree, masking));
  };
  it.each([
    ["update customers set email = 'tok_abcdefghijklmnop' where id = 1", "customers.email"],
    ["insert into customers (id, card) values (1, '[REDACTED]')", "customers.card"],
    ["insert into customers values (1, 'x', '************1111')", "customers.*"],
    ["insert into public.customers (email) select 'tok_abcdefghijklmnop'", "public.customers.email"],
    ["insert into customers (id) values (1) on conflict (id) do update set card = '[REDACTED:payment-card]'", "customers.card"],
    // A partial mask of a short value: its run of stars is short, the whole literal still reads as one.
    ["update customers set card = '**-**71-QQ' where id = 1", "customers.card"],
    // A value read from the statement's sources: a bulk update from a VALUES list, a CTE, MERGE's USING, INSERT ... SELECT.
    ["update customers c set card = v.card from (values (1, '************1111'), (2, '4111')) as v(id, card) where c.id = v.id", "customers.card"],
    ["with v(x) as (values ('tok_abcdefghijklmnop')) update customers set email = v.x from v", "customers.email"],
    ["merge into customers c using (values (1, '[REDACTED]')) v(id, card) on c.id = v.id when matched then update set card = v.card", "customers.card"],
    ["merge into customers c using (select 1 as id, '[REDACTED]' as card) v on c.id = v.id when not matched then insert (id, card) values (v.id, v.card)", "customers.card"],
    ["insert into customers (id, card) select 1, x from (values ('[REDACTED]')) v(x)", "customers.card"],
    ["insert into customers (id, card) select * from (select 1, '[REDACTED]') s", "customers.*"],
  ])("%s", (sql, column) => expect(maskedLiteral(writes(sql))?.column).toBe(column));

  it("lets real values, other columns and other tables through, and remembers bound parameters", () => {
    expect(maskedLiteral(writes("update customers set email = 'new@example.com' where id = 1"))).toBeUndefined();
    expect(maskedLiteral(writes("update customers set note = '[REDACTED]' where id = 1"))).toBeUndefined();
    expect(maskedLiteral(writes("update orders set email = '[REDACTED]'"))).toBeUndefined();
    expect(maskedLiteral(writes("update customers c set card = v.card from (values (1, '4111 1111 1111 1111')) v(id, card) where c.id = v.id"))).toBeUndefined();
    expect(maskedLiteral(writes("update customers set note = v.n from (values ('[REDACTED]')) v(n)"))).toBeUndefined();
    expect(maskedLiteral(writes("insert into customers (id, card) values (1, '4111') on conflict (id) do update set card = excluded.card"))).toBeUndefined();
    expect(writes("update customers set email = $2 where id = $1")).toEqual([{ column: "customers.email", literals: [], params: [2] }]);
  });
});
