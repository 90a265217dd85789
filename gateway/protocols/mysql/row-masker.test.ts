import { describe, expect, it } from "vitest";
import { compileForGroups } from "../../../core/masking/compile-rules";
import { maskingRulesSchema } from "../../../core/masking/masking-rules";
import { Cursor, lenencBytes } from "./packet-codec";
import { RowMasker } from "./row-masker";
import type { ColumnDef } from "./column-definition";
import { errPacket, parseErr } from "./handshake-messages";

const masking = compileForGroups(
  maskingRulesSchema.parse({
    columns: [
      { column: "users.pin", style: "redact" },
      { column: "users.code", style: "redact" },
    ],
    detectors: { builtIn: ["email"] },
  }),
  [],
)!;
const col = (orgName: string, type: number): ColumnDef => ({ schema: "shop", table: "u", orgTable: "users", name: orgName, orgName, type });
const key = Buffer.alloc(32, 1);

/** A binary row: 0x00, the NULL bitmap (offset 2), then the non-NULL values. */
function binaryRow(n: number, nulls: number[], values: Buffer[]): Buffer {
  const bitmap = Buffer.alloc(Math.floor((n + 7 + 2) / 8));
  for (const i of nulls) bitmap[(i + 2) >> 3] |= 1 << ((i + 2) & 7);
  return Buffer.concat([Buffer.from([0]), bitmap, ...values]);
}

describe("masking MySQL rows", () => {
  it("text rows: a covered column whole, detectors elsewhere, NULLs kept", () => {
    const m = new RowMasker(masking, key);
    m.reset("select id, code, note, extra from users");
    for (const c of [col("id", 3), col("code", 0xfd), col("note", 0xfc), col("extra", 0xfd)]) m.addColumn(c);
    const row = Buffer.concat([lenencBytes(Buffer.from("7")), lenencBytes(Buffer.from("ZX-1")), lenencBytes(Buffer.from("mail ann@example.com now")), Buffer.from([0xfb])]);
    const c = new Cursor(m.textRow(row)!);
    expect([c.lenencString(), c.lenencString(), c.lenencString(), c.lenenc()]).toEqual(["7", "[REDACTED]", "mail [REDACTED:email] now", null]);
    expect(m.textRow(Buffer.concat([lenencBytes(Buffer.from("8")), Buffer.from([0xfb]), lenencBytes(Buffer.from("plain")), Buffer.from([0xfb])]))).toBeNull();
  });

  it("binary rows: walks fixed, temporal and string values; a covered numeric becomes NULL", () => {
    const m = new RowMasker(masking, key);
    m.reset("select id, pin, at, code, note, n from users");
    // LONGLONG, LONG (covered), DATETIME, VAR_STRING (covered), BLOB (detectors), TINY (NULL)
    for (const c of [col("id", 0x08), col("pin", 0x03), col("at", 0x0c), col("code", 0xfd), col("note", 0xfc), col("n", 0x01)]) m.addColumn(c);
    const id = Buffer.alloc(8);
    id.writeBigInt64LE(42n);
    const pin = Buffer.alloc(4);
    pin.writeInt32LE(1234);
    const at = Buffer.from([7, 0xea, 0x07, 1, 2, 3, 4, 5]);
    const row = binaryRow(6, [5], [id, pin, at, lenencBytes(Buffer.from("ZX-1")), lenencBytes(Buffer.from("to bob@example.com"))]);
    const out = m.binaryRow(row)!;
    const bitmap = out.subarray(1, 2);
    expect(bitmap[0] & (1 << 3)).toBeTruthy(); // pin (index 1, bit 3) now NULL
    expect(bitmap[0] & (1 << 7)).toBeTruthy(); // n (index 5) still NULL
    const c = new Cursor(out, 2);
    expect(c.bytes(8).readBigInt64LE(0)).toBe(42n);
    expect(c.bytes(8).equals(at)).toBe(true);
    expect([c.lenencString(), c.lenencString(), c.left]).toEqual(["[REDACTED]", "to [REDACTED:email]", 0]);
  });

  it("binary rows: an integer the detectors match in decimal (a card number in a BIGINT) becomes NULL", () => {
    const cards = compileForGroups(maskingRulesSchema.parse({ detectors: { builtIn: ["payment-card"] } }), [])!;
    const m = new RowMasker(cards, key);
    m.reset("select id, card from payments");
    for (const c of [col("id", 0x08), col("card", 0x08)]) m.addColumn(c);
    const id = Buffer.alloc(8);
    id.writeBigInt64LE(7n);
    const card = Buffer.alloc(8);
    card.writeBigInt64LE(4111111111111111n);
    const out = m.binaryRow(binaryRow(2, [], [id, card]))!;
    expect(out[1] & (1 << 3)).toBeTruthy(); // card (index 1) now NULL
    expect(out.subarray(2).readBigInt64LE(0)).toBe(7n);
    expect(out.length).toBe(2 + 8);
  });

  it("a computed column is masked by the covered column its query reads", () => {
    const m = new RowMasker(masking, key);
    m.reset("select concat(code, '!') as x from users");
    m.addColumn({ schema: "", table: "", orgTable: "", name: "x", orgName: "", type: 0xfd });
    expect(new Cursor(m.textRow(lenencBytes(Buffer.from("ZX-1!")))!).lenencString()).toBe("[REDACTED]");
    m.reset("select upper(name) as x from users");
    m.addColumn({ schema: "", table: "", orgTable: "", name: "x", orgName: "", type: 0xfd });
    expect(m.textRow(lenencBytes(Buffer.from("ANN")))).toBeNull();
  });

  it("an error of a statement that reads a covered column: its quoted values redacted, the apostrophes of its own words kept", () => {
    const m = new RowMasker(masking, key);
    const masked = (message: string) =>
      parseErr(m.maskedError(errPacket({ code: 1442, state: "HY000" }, message), "update t6 set n = (select code from users limit 1)") ?? errPacket({ code: 0, state: "HY000" }, message)).message;
    expect(masked("Can't update table 't6' in stored function/trigger because it is already used by statement which invoked this stored function/trigger")).toBe(
      "Can't update table '[REDACTED]' in stored function/trigger because it is already used by statement which invoked this stored function/trigger",
    );
    expect(masked("Truncated incorrect INTEGER value: 'ZX-4471-QQ'")).toBe("Truncated incorrect INTEGER value: '[REDACTED]'");
    expect(masked("Table 'shop.t2' doesn't exist")).toBe("Table '[REDACTED]' doesn't exist");
    // The server does not escape a quote inside a value: paired one by one, `Brien` went out.
    expect(masked("Duplicate entry 'O'Brien' for key 'name'")).toBe("Duplicate entry '[REDACTED]'");
    expect(masked("Truncated incorrect DOUBLE value: 'it' s Zelda'")).toBe("Truncated incorrect DOUBLE value: '[REDACTED]'");
    expect(masked("Duplicate entry 'ZX-4471-QQ' for key 'code'")).toBe("Duplicate entry '[REDACTED]' for key '[REDACTED]'");
    expect(masked("Unknown column 'zz' in 'field list'")).toBe("Unknown column '[REDACTED]' in '[REDACTED]'");
    expect(masked("Incorrect integer value: 'Zelda")).toBe("Incorrect integer value: '[REDACTED]'");
    // What server-side code says (SIGNAL): withheld whole after a CALL, and with SQLSTATE 45000 after anything.
    const said = (text: string, state: string) => parseErr(m.maskedError(errPacket({ code: 1644, state }, "ZX-4471-QQ"), text) ?? errPacket({ code: 0, state }, "ZX-4471-QQ")).message;
    expect(said("call copy_codes()", "HY000")).toBe("[REDACTED: message of server-side code withheld by masking]");
    expect(said("insert into t6 values (1)", "45000")).toBe("[REDACTED: message of server-side code withheld by masking]");
    expect(said("insert into t6 values (1)", "23000")).toBe("ZX-4471-QQ");
  });
});
