import type { MaskedValue } from "./pg-value-masking";

/** Masks one column's value (bytes [start, end) of buf); undefined leaves it as it is. */
export type ColumnMask = (buf: Buffer, start: number, end: number) => MaskedValue;

/**
 * Rewrites a DataRow ('D', int32 length, int16 count, then per column int32 length or -1 and the
 * bytes) with a mask per column; undefined when nothing changed, so the row goes out as the view
 * it arrived in. Codec only: no I/O.
 */
export function maskDataRow(buf: Buffer, start: number, end: number, columns: ReadonlyArray<ColumnMask | undefined>, alloc: (n: number) => Buffer = Buffer.allocUnsafe): Buffer | undefined {
  const n = buf.readInt16BE(start + 5);
  let at = start + 7;
  let changes: Array<[number, number, Buffer | string | null, number]> | undefined; // [value start, value end, replacement, its byte length]
  for (let i = 0; i < n; i++) {
    const len = buf.readInt32BE(at);
    const from = at + 4;
    const to = len < 0 ? from : from + len;
    const mask = columns[i];
    if (len >= 0 && mask) {
      const r = mask(buf, from, to);
      if (r !== undefined) (changes ??= []).push([from, to, r, r === null ? 0 : typeof r === "string" ? Buffer.byteLength(r) : r.length]);
    }
    at = to;
  }
  if (!changes) return undefined;
  let size = end - start;
  for (const [from, to, , len] of changes) size += len - (to - from);
  const out = alloc(size);
  let w = 0;
  let r0 = start;
  for (const [from, to, r, len] of changes) {
    w += buf.copy(out, w, r0, from - 4);
    if (r === null) w = out.writeInt32BE(-1, w);
    else {
      w = out.writeInt32BE(len, w);
      w += typeof r === "string" ? out.write(r, w, "utf8") : r.copy(out, w);
    }
    r0 = to;
  }
  w += buf.copy(out, w, r0, end);
  out.writeInt32BE(size - 1, 1);
  return out;
}

export type Field = { name: string; tableOid: number; attnum: number; typeOid: number; format: number };

/** RowDescription ('T'): the fields, with the source table OID and attribute number the server reports. */
export function readRowDescription(buf: Buffer, start: number, end: number): Field[] {
  const n = buf.readInt16BE(start + 5);
  const fields: Field[] = [];
  let at = start + 7;
  for (let i = 0; i < n && at < end; i++) {
    const zero = buf.indexOf(0, at);
    const name = buf.toString("utf8", at, zero);
    at = zero + 1;
    fields.push({ name, tableOid: buf.readUInt32BE(at), attnum: buf.readInt16BE(at + 4), typeOid: buf.readUInt32BE(at + 6), format: buf.readInt16BE(at + 16) });
    at += 18;
  }
  return fields;
}

/** Bind ('B'): the result-column format codes (0 text, 1 binary; one code applies to all). */
export function readBindResultFormats(buf: Buffer, start: number, end: number): number[] {
  let at = buf.indexOf(0, start + 5) + 1; // portal
  at = buf.indexOf(0, at) + 1; // statement
  const nFormats = buf.readInt16BE(at);
  at += 2 + nFormats * 2;
  const nParams = buf.readInt16BE(at);
  at += 2;
  for (let i = 0; i < nParams; i++) {
    const len = buf.readInt32BE(at);
    at += 4 + Math.max(len, 0);
  }
  const n = buf.readInt16BE(at);
  const formats: number[] = [];
  for (let i = 0; i < n && at + 4 + i * 2 <= end; i++) formats.push(buf.readInt16BE(at + 2 + i * 2));
  return formats;
}
