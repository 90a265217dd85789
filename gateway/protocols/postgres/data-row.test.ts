import { describe, expect, it } from "vitest";
import { MessageFramer } from "./framer";
import { maskDataRow, readBindResultFormats, readRowDescription, type ColumnMask } from "./data-row";
import { ruleMasked, scanBinaryValue, scanTextValue, typeInfo } from "./pg-value-masking";
import { maskNoticeFields } from "./notice-masking";
import { maskCopyRow } from "./copy-out";
import { errorResponse } from "./backend-messages";
import { ValueMasker } from "../../../core/masking/value-masker";
import { BUILT_IN_DETECTORS } from "../../../core/masking/detectors";
import { serialize } from "pg-protocol";

const m = () => new ValueMasker({ detectors: BUILT_IN_DETECTORS, detectorStyle: "redact", columns: [] }, Buffer.alloc(32, 9));
const types = (oid: number) => typeInfo(oid, () => undefined);

function dataRow(values: Array<Buffer | string | null>): Buffer {
  const parts = values.map((v) => (v === null ? null : Buffer.isBuffer(v) ? v : Buffer.from(v)));
  const len = 4 + 2 + parts.reduce((a, p) => a + 4 + (p?.length ?? 0), 0);
  const b = Buffer.alloc(1 + len);
  b[0] = 0x44;
  b.writeInt32BE(len, 1);
  b.writeInt16BE(parts.length, 5);
  let at = 7;
  for (const p of parts) {
    b.writeInt32BE(p ? p.length : -1, at);
    if (p) p.copy(b, at + 4);
    at += 4 + (p?.length ?? 0);
  }
  return b;
}

function readRow(b: Buffer): Array<string | null> {
  const out: Array<string | null> = [];
  let at = 7;
  for (let i = 0; i < b.readInt16BE(5); i++) {
    const len = b.readInt32BE(at);
    out.push(len < 0 ? null : b.toString("utf8", at + 4, at + 4 + len));
    at += 4 + Math.max(len, 0);
  }
  expect(at).toBe(b.length);
  expect(b.readInt32BE(1)).toBe(b.length - 1);
  return out;
}

describe("[MASKING][PG-CODEC] DataRow rewriting", () => {
  it("masks columns, fixes the lengths, keeps NULLs and leaves unmasked rows untouched", () => {
    const vm = m();
    const text: ColumnMask = (b, s, e) => scanTextValue(types(25), b, s, e, vm, types);
    const rule: ColumnMask = (b, s, e) => ruleMasked("text", false, b, s, e, "partial", "t.c", vm);
    const int8: ColumnMask = (b, s, e) => scanTextValue(types(20), b, s, e, vm, types);
    const row = dataRow(["7", "mail ann@example.com now", null, "4111 1111 1111 1234", "4111111111111111"]);
    const out = maskDataRow(row, 0, row.length, [undefined, text, text, rule, int8])!;
    expect(readRow(out)).toEqual(["7", "mail [REDACTED:email] now", null, "**** **** **** 1234", null]);
    const clean = dataRow(["1", "nothing here"]);
    expect(maskDataRow(clean, 0, clean.length, [text, text])).toBeUndefined();
  });

  it("gives the same result whatever way the stream is cut (1, 2, 5 bytes and across messages)", () => {
    const rows = [dataRow(["a@b.co", "x"]), dataRow([null, "ssn 123-45-6789"]), dataRow(["plain", "€ ünïcode bob@example.org"])];
    const stream = Buffer.concat(rows);
    const run = (size: number) => {
      const vm = m();
      const masks: ColumnMask[] = [0, 1].map(() => (b, s, e) => scanTextValue(types(25), b, s, e, vm, types));
      const framer = new MessageFramer(1 << 20);
      const got: Array<Array<string | null>> = [];
      for (let at = 0; at < stream.length; at += size) {
        framer.push(stream.subarray(at, at + size), (_t, buf, start, end) => {
          const out = maskDataRow(buf, start, end, masks);
          got.push(readRow(out ?? Buffer.from(buf.subarray(start, end))));
        });
      }
      return got;
    };
    const whole = run(stream.length);
    expect(whole).toEqual([
      ["[REDACTED:email]", "x"],
      [null, "ssn [REDACTED:us-ssn]"],
      ["plain", "€ ünïcode [REDACTED:email]"],
    ]);
    for (const size of [1, 2, 5, 7, 13]) expect(run(size), `cut every ${size} bytes`).toEqual(whole);
  });

  it("decodes, masks and re-encodes binary jsonb, text arrays (with NULLs) and records", () => {
    const vm = m();
    const jsonb = Buffer.concat([Buffer.from([1]), Buffer.from('{"m": "ann@example.com"}')]);
    expect(String(scanBinaryValue(3802, jsonb, 0, jsonb.length, vm, types)?.subarray(1))).toBe('{"m": "[REDACTED:email]"}');
    // text[] = {'ann@example.com', NULL, 'ok'}: ndim 1, has nulls, element type 25, size 3, lower bound 1.
    const elems = [Buffer.from("ann@example.com"), null, Buffer.from("ok")];
    const arr = Buffer.concat([int32(1), int32(1), int32(25), int32(3), int32(1), ...elems.flatMap((e) => (e ? [int32(e.length), e] : [int32(-1)]))]);
    const masked = scanBinaryValue(1009, arr, 0, arr.length, vm, types)!;
    expect(masked.readInt32BE(4)).toBe(1);
    expect(masked.subarray(24, 24 + masked.readInt32BE(20)).toString()).toBe("[REDACTED:email]");
    // record (int4 7, text 'bob@example.org')
    const rec = Buffer.concat([int32(2), int32(23), int32(4), int32(7), int32(25), int32(15), Buffer.from("bob@example.org")]);
    const r = scanBinaryValue(2249, rec, 0, rec.length, vm, types)!;
    expect(r.readInt32BE(20)).toBe("[REDACTED:email]".length);
    expect(r.subarray(24).toString()).toBe("[REDACTED:email]");
  });

  it("reads RowDescription sources and Bind result formats", () => {
    const fields = [{ name: "e", tableID: 16400, columnID: 3, dataTypeID: 25, dataTypeSize: -1, dataTypeModifier: -1, format: "binary" }];
    const rd = Buffer.concat([
      Buffer.from("T"),
      int32(4 + 2 + 2 + 18),
      Buffer.from([0, 1]),
      Buffer.from("e\0"),
      int32(16400),
      Buffer.from([0, 3]),
      int32(25),
      Buffer.from([255, 255]),
      int32(-1),
      Buffer.from([0, 1]),
    ]);
    expect(readRowDescription(rd, 0, rd.length)).toEqual([{ name: fields[0].name, tableOid: 16400, attnum: 3, typeOid: 25, format: 1 }]);
    const bind = serialize.bind({ portal: "p", statement: "s", values: ["a", null], binary: true });
    expect(readBindResultFormats(bind, 0, bind.length)).toEqual([1]);
  });
});

describe("[MASKING][PG-CODEC] errors, notices and COPY rows", () => {
  it("masks detector hits in every text field and redacts quoted values when asked", () => {
    const vm = m();
    const e = errorResponse({ severity: "ERROR", code: "23505", message: 'duplicate key value violates unique constraint "c"', detail: "Key (name)=(Zelda Quixotic) already exists." });
    const out = maskNoticeFields(e, 0, e.length, vm, "quoted")!;
    expect(out.toString()).toContain("Key (name)=([REDACTED]) already exists.");
    expect(out.toString()).not.toContain("Zelda");
    const cast = errorResponse({ severity: "ERROR", code: "22P02", message: 'invalid input syntax for type integer: "4111111111111111"' });
    expect(maskNoticeFields(cast, 0, cast.length, m(), "none")!.toString()).toContain('"[REDACTED:payment-card]"');
    const plain = errorResponse({ severity: "ERROR", code: "42P01", message: 'relation "nope" does not exist' });
    expect(maskNoticeFields(plain, 0, plain.length, m(), "none")).toBeUndefined();
  });

  it("under column rules, redacts the values the server echoes: quotes inside a value, a refused row, the JSON and XML parsers' input", () => {
    // Tagged fields as the server sends them (ErrorFields has no CONTEXT).
    const raw = (...f: Array<[string, string]>) => {
      const body = Buffer.concat([...f.map(([t, v]) => Buffer.from(`${t}${v}\0`)), Buffer.from([0])]);
      return Buffer.concat([Buffer.from("E"), int32(4 + body.length), body]);
    };
    const masked = (e: Buffer, names: string[] = []) => maskNoticeFields(e, 0, e.length, m(), "quoted", names)?.toString() ?? e.toString();
    // Paired one by one, `Quixotic` sat between two quoted pieces and went out.
    const cast = masked(raw(["S", "ERROR"], ["C", "22P02"], ["M", 'invalid input syntax for type integer: "Mx "Quixotic" Zelda"']));
    expect(cast).toContain('invalid input syntax for type integer: "[REDACTED]"');
    expect(cast).not.toMatch(/Quixotic|Zelda|Mx/);
    // The server's own words between two names stay.
    expect(masked(raw(["C", "23514"], ["M", 'new row for relation "t" violates check constraint "c"']))).toContain('new row for relation "[REDACTED]" violates check constraint "[REDACTED]"');
    expect(masked(raw(["C", "26000"], ["M", 'prepared statement "s1" does not exist']), ["s1"])).toContain('prepared statement "s1" does not exist');
    const row = masked(raw(["C", "23502"], ["M", 'null value in column "name" of relation "t" violates not-null constraint'], ["D", "Failing row contains (1, null, Zelda Quixotic)."]));
    expect(row).toContain("Failing row contains ([REDACTED]).");
    expect(row).not.toContain("Zelda");
    const json = masked(raw(["C", "22P02"], ["M", "invalid input syntax for type json"], ["D", 'Token "Zelda" is invalid.'], ["W", "JSON data, line 1: Zelda..."]));
    expect(json).toContain("JSON data, line 1: [REDACTED]");
    expect(json).not.toContain("Zelda");
    const xml = masked(raw(["C", "2200M"], ["M", "invalid XML document"], ["D", "line 1: Opening and ending tag mismatch: Zelda line 1 and b\n<Zelda>x</b>\n^"]));
    expect(xml).toContain("invalid XML document");
    expect(xml).not.toContain("Zelda");
    // A key's value holding the words that end it.
    expect(masked(raw(["C", "23505"], ["D", "Key (name)=(Zelda) already exists) already exists."]))).toContain("Key (name)=([REDACTED]) already exists.");
    expect(masked(raw(["C", "23505"], ["D", "Key (name)=(Zelda) is duplicated."]))).toContain("Key (name)=([REDACTED]) is duplicated.");
    expect(masked(raw(["C", "23514"], ["D", "Partition key of the failing row contains (name) = (Zelda)."]))).toContain("contains (name) = ([REDACTED]).");
  });

  it("masks COPY text and CSV rows by column, header line spared", () => {
    const vm = m();
    const copyData = (s: string) => Buffer.concat([Buffer.from("d"), int32(4 + Buffer.byteLength(s)), Buffer.from(s)]);
    const plan = { csv: true, delimiter: ",", quote: '"', header: true, columns: [undefined, { style: "redact" as const, rule: "t.name" }] };
    const header = copyData("id,name\n");
    expect(maskCopyRow(header, 0, header.length, plan, true, vm)).toBeUndefined();
    const row = copyData('1,"Quixotic, Zelda"\n');
    expect(maskCopyRow(row, 0, row.length, plan, false, vm)!.subarray(5).toString()).toBe('1,"[REDACTED]"\n');
    const text = copyData("2\tann@example.com\t\\N\n");
    const out = maskCopyRow(text, 0, text.length, { csv: false, delimiter: "\t", quote: '"', header: false, columns: [] }, false, vm)!;
    expect(out.subarray(5).toString()).toBe("2\t[REDACTED:email]\t\\N\n");
    expect(out.readInt32BE(1)).toBe(out.length - 1);
  });
});

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}
