import { isJsonText } from "../../../core/masking/json-masker";
import type { ValueMasker } from "../../../core/masking/value-masker";
import type { MaskStyle } from "../../../core/masking/mask-text";

/** How a Postgres type's values are masked. */
export type TypeKind = "text" | "json" | "jsonb" | "array" | "record" | "int8" | "bytea" | "scalar";
export type TypeInfo = { kind: TypeKind; elem: number };

/** undefined: unchanged; null: sent as SQL NULL; a Buffer or string (UTF-8): the new value. */
export type MaskedValue = Buffer | string | null | undefined;
type MaskedBytes = Buffer | null | undefined;

const TEXT_TYPES = new Set([25, 1043, 1042, 19, 18, 705, 142, 2275]); // text varchar bpchar name "char" unknown xml cstring
// Built-in array types -> element type (the binary format names the element type itself).
const ARRAY_ELEMENTS = new Map<number, number>([
  [1009, 25],
  [1015, 1043],
  [1014, 1042],
  [1003, 19],
  [1002, 18],
  [199, 114],
  [3807, 3802],
  [143, 142],
  [2287, 2249],
  [1016, 20],
  [1007, 23],
  [1005, 21],
  [1231, 1700],
  [1021, 700],
  [1022, 701],
  [1041, 869],
  [651, 650],
  [2951, 2950],
]);
export const FIRST_USER_OID = 16384;

/** The kind of a type; user-defined types (OID >= 16384) come from the target's catalog. */
export function typeInfo(oid: number, userTypes: (oid: number) => TypeInfo | undefined): TypeInfo {
  if (TEXT_TYPES.has(oid)) return { kind: "text", elem: 0 };
  if (oid === 114) return { kind: "json", elem: 0 };
  if (oid === 3802) return { kind: "jsonb", elem: 0 };
  if (oid === 2249) return { kind: "record", elem: 0 };
  if (oid === 20) return { kind: "int8", elem: 0 };
  if (oid === 17) return { kind: "bytea", elem: 0 };
  const elem = ARRAY_ELEMENTS.get(oid);
  if (elem !== undefined) return { kind: "array", elem };
  // Unknown user types are treated as text: masking keeps them textual, never lets them through unscanned.
  if (oid >= FIRST_USER_OID) return userTypes(oid) ?? { kind: "text", elem: 0 };
  return { kind: "scalar", elem: 0 };
}

/** A whole value under a column rule: text-like types keep a masked text, JSON a JSON string, others become NULL. */
export function ruleMasked(kind: TypeKind, binary: boolean, buf: Buffer, start: number, end: number, style: MaskStyle, rule: string, m: ValueMasker): MaskedValue {
  if (kind === "text") return m.wholeBytes(buf, start, end, style, rule);
  if (kind === "json" || kind === "jsonb") {
    const text = buf.toString("utf8", binary && kind === "jsonb" ? start + 1 : start, end);
    const json = Buffer.from(JSON.stringify(m.whole(text, style, rule)));
    return kind === "jsonb" && binary ? Buffer.concat([JSON_B_VERSION, json]) : json;
  }
  m.count(`column:${rule}`);
  return null;
}
const JSON_B_VERSION = Buffer.from([1]);

/** Detector hits inside a text-format value; a hit in a value whose type cannot hold a marker makes it NULL. */
export function scanTextValue(t: TypeInfo, buf: Buffer, start: number, end: number, m: ValueMasker, types: (oid: number) => TypeInfo): MaskedBytes {
  if (t.kind === "bytea") return undefined;
  const hit = m.scanBytes(buf, start, end);
  if (hit === null) return undefined;
  if (t.kind === "text" || t.kind === "record") return Buffer.from(hit);
  if (t.kind === "json" || t.kind === "jsonb") return Buffer.from(isJsonText(hit) ? hit : JSON.stringify(hit));
  if (t.kind === "array") {
    const k = types(t.elem).kind;
    return k === "text" || k === "json" || k === "jsonb" || k === "record" ? Buffer.from(hit) : null;
  }
  return null;
}

/** Detector hits inside a binary-format value: decoded, masked and re-encoded for text-like types, arrays and records. */
export function scanBinaryValue(oid: number, buf: Buffer, start: number, end: number, m: ValueMasker, types: (oid: number) => TypeInfo): MaskedBytes {
  const t = types(oid);
  switch (t.kind) {
    case "text":
      return scanTextValue(t, buf, start, end, m, types);
    case "json":
      return scanTextValue(t, buf, start, end, m, types);
    case "jsonb": {
      const inner = end > start ? scanTextValue(t, buf, start + 1, end, m, types) : undefined;
      return inner ? Buffer.concat([JSON_B_VERSION, inner]) : inner;
    }
    case "int8": {
      if (end - start !== 8) return undefined;
      return m.scanText(buf.readBigInt64BE(start).toString()) === null ? undefined : null;
    }
    case "array":
      return scanBinaryArray(buf, start, end, m, types);
    case "record":
      return scanBinaryRecord(buf, start, end, m, types);
    default:
      return undefined;
  }
}

/** Binary array: ndim, has-null flag, element type, ndim x (size, lower bound), then length-prefixed elements. */
function scanBinaryArray(buf: Buffer, start: number, end: number, m: ValueMasker, types: (oid: number) => TypeInfo): MaskedBytes {
  if (end - start < 12) return undefined;
  const ndim = buf.readInt32BE(start);
  const elemOid = buf.readUInt32BE(start + 8);
  const headerEnd = start + 12 + ndim * 8;
  const elems: Array<Buffer | null> = [];
  let changed = false;
  for (let at = headerEnd; at + 4 <= end;) {
    const len = buf.readInt32BE(at);
    if (len < 0) {
      elems.push(null);
      at += 4;
      continue;
    }
    const r = scanBinaryValue(elemOid, buf, at + 4, at + 4 + len, m, types);
    if (r !== undefined) changed = true;
    elems.push(r === undefined ? buf.subarray(at + 4, at + 4 + len) : r);
    at += 4 + len;
  }
  if (!changed) return undefined;
  const header = Buffer.from(buf.subarray(start, headerEnd));
  header.writeInt32BE(elems.includes(null) ? 1 : 0, 4);
  return Buffer.concat([header, ...elems.flatMap((e) => lengthPrefixed(e, e === null))]);
}

/** Binary record: field count, then (type OID, length, bytes) per field. */
function scanBinaryRecord(buf: Buffer, start: number, end: number, m: ValueMasker, types: (oid: number) => TypeInfo): MaskedBytes {
  if (end - start < 4) return undefined;
  const n = buf.readInt32BE(start);
  const out: Buffer[] = [buf.subarray(start, start + 4)];
  let changed = false;
  let at = start + 4;
  for (let i = 0; i < n && at + 8 <= end; i++) {
    const oid = buf.readUInt32BE(at);
    const len = buf.readInt32BE(at + 4);
    const head = buf.subarray(at, at + 4);
    if (len < 0) {
      out.push(buf.subarray(at, at + 8));
      at += 8;
      continue;
    }
    const r = scanBinaryValue(oid, buf, at + 8, at + 8 + len, m, types);
    if (r !== undefined) changed = true;
    out.push(head, ...lengthPrefixed(r === undefined ? buf.subarray(at + 8, at + 8 + len) : r, r === null));
    at += 8 + len;
  }
  return changed ? Buffer.concat(out) : undefined;
}

function lengthPrefixed(value: Buffer | null, isNull: boolean): Buffer[] {
  const len = Buffer.allocUnsafe(4);
  if (isNull || value === null) {
    len.writeInt32BE(-1);
    return [len];
  }
  len.writeInt32BE(value.length);
  return [len, value];
}
