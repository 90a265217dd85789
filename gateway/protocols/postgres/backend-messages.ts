/** Pure serialisers for the backend messages the gateway writes itself, and small readers for the ones it inspects. */

export type ErrorFields = { severity: string; code: string; message: string; detail?: string; hint?: string };

function message(type: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = type;
  out.writeInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return out;
}

const cstr = (s: string) => Buffer.from(s + "\0", "utf8");

export const authenticationOk = () => message(0x52, Buffer.from([0, 0, 0, 0]));
export const authenticationCleartextPassword = () => message(0x52, Buffer.from([0, 0, 0, 3]));
export const readyForQuery = (status: "I" | "T" | "E" = "I") => message(0x5a, Buffer.from(status));
export const parameterStatus = (name: string, value: string) => message(0x53, Buffer.concat([cstr(name), cstr(value)]));

export function backendKeyData(pid: number, secret: number): Buffer {
  const body = Buffer.allocUnsafe(8);
  body.writeInt32BE(pid, 0);
  body.writeInt32BE(secret, 4);
  return message(0x4b, body);
}

/** Tells a client asking for protocol 3.x (x > 0) or `_pq_.` options that the gateway speaks 3.0. */
export function negotiateProtocolVersion(minor: number, unsupported: string[]): Buffer {
  const head = Buffer.allocUnsafe(8);
  head.writeInt32BE(minor, 0);
  head.writeInt32BE(unsupported.length, 4);
  return message(0x76, Buffer.concat([head, ...unsupported.map(cstr)]));
}

function fields(f: ErrorFields): Buffer {
  const parts = [Buffer.from("S"), cstr(f.severity), Buffer.from("V"), cstr(f.severity), Buffer.from("C"), cstr(f.code), Buffer.from("M"), cstr(f.message)];
  if (f.detail) parts.push(Buffer.from("D"), cstr(f.detail));
  if (f.hint) parts.push(Buffer.from("H"), cstr(f.hint));
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

export const errorResponse = (f: ErrorFields) => message(0x45, fields(f));
export const noticeResponse = (f: ErrorFields) => message(0x4e, fields(f));

/** Reads the fields of an ErrorResponse or NoticeResponse (bytes [start, end) of buf, header included). */
export function readErrorFields(buf: Buffer, start: number, end: number): ErrorFields {
  const out: ErrorFields = { severity: "", code: "", message: "" };
  let i = start + 5;
  while (i < end && buf[i] !== 0) {
    const tag = buf[i];
    const zero = buf.indexOf(0, i + 1);
    if (zero < 0 || zero >= end) break;
    const value = buf.toString("utf8", i + 1, zero);
    if (tag === 0x53 /* S */) out.severity = value;
    else if (tag === 0x43 /* C */) out.code = value;
    else if (tag === 0x4d /* M */) out.message = value;
    else if (tag === 0x44 /* D */) out.detail = value;
    else if (tag === 0x48 /* H */) out.hint = value;
    i = zero + 1;
  }
  return out;
}

/** The row count at the end of a CommandComplete tag ("SELECT 5", "INSERT 0 3"), or null for tags without one. */
export function readCommandTag(buf: Buffer, start: number, end: number): { tag: string; rows: number | null } {
  const tag = buf.toString("utf8", start + 5, end - 1);
  const space = tag.lastIndexOf(" ");
  const last = space >= 0 ? Number(tag.slice(space + 1)) : NaN;
  return { tag, rows: Number.isInteger(last) ? last : null };
}
