/** Readers for the frontend messages the gateway inspects. Each takes the whole message (type byte included). */

function cstring(buf: Buffer, at: number, end: number): [string, number] {
  const zero = buf.indexOf(0, at);
  if (zero < 0 || zero >= end) throw new RangeError("unterminated string in message");
  return [buf.toString("utf8", at, zero), zero + 1];
}

/** Query: the SQL text. */
export function readQuery(buf: Buffer, start: number, end: number): string {
  return cstring(buf, start + 5, end)[0];
}

/** Parse: statement name and SQL text. */
export function readParse(buf: Buffer, start: number, end: number): { name: string; text: string } {
  const [name, next] = cstring(buf, start + 5, end);
  const [text] = cstring(buf, next, end);
  return { name, text };
}

/** Bind: portal and statement names (parameters are not needed for the audit trail). */
export function readBind(buf: Buffer, start: number, end: number): { portal: string; statement: string } {
  const [portal, next] = cstring(buf, start + 5, end);
  const [statement] = cstring(buf, next, end);
  return { portal, statement };
}

/** Execute, and the name in Describe/Close (after their 'S'/'P' kind byte). */
export function readExecute(buf: Buffer, start: number, end: number): { portal: string } {
  return { portal: cstring(buf, start + 5, end)[0] };
}

export function readTargetedName(buf: Buffer, start: number, end: number): { kind: "S" | "P"; name: string } {
  const kind = String.fromCharCode(buf[start + 5]) as "S" | "P";
  return { kind, name: cstring(buf, start + 6, end)[0] };
}

/**
 * PasswordMessage: exactly one NUL-terminated string filling the message, as PostgreSQL requires
 * ("invalid password packet size"). Bytes after the NUL, a missing NUL or an inner NUL are refused:
 * the credential is the whole string and nothing else.
 */
export function readPasswordMessage(buf: Buffer): { ok: true; password: string } | { ok: false; problem: string } {
  const zero = buf.indexOf(0, 5);
  if (zero < 0) return { ok: false, problem: "the password message has no terminating NUL" };
  const extra = buf.length - zero - 1;
  if (extra > 0) return { ok: false, problem: `the password message has ${extra} byte${extra === 1 ? "" : "s"} after its terminating NUL` };
  return { ok: true, password: buf.toString("utf8", 5, zero) };
}

export type StartupPacket = { kind: "ssl" } | { kind: "gssenc" } | { kind: "cancel"; pid: number; secret: number } | { kind: "startup"; major: number; minor: number; params: Record<string, string> };

/** Decodes the untyped first packet (length already validated, `buf` is the whole packet). */
export function readStartupPacket(buf: Buffer): StartupPacket {
  const code = buf.readInt32BE(4);
  if (code === 80877103) return { kind: "ssl" };
  if (code === 80877104) return { kind: "gssenc" };
  if (code === 80877102) {
    if (buf.length !== 16) throw new RangeError("malformed cancel request");
    return { kind: "cancel", pid: buf.readInt32BE(8), secret: buf.readInt32BE(12) };
  }
  const params: Record<string, string> = {};
  let at = 8;
  while (at < buf.length && buf[at] !== 0) {
    const [key, afterKey] = cstring(buf, at, buf.length);
    const [value, afterValue] = cstring(buf, afterKey, buf.length);
    params[key] = value;
    at = afterValue;
  }
  return { kind: "startup", major: code >> 16, minor: code & 0xffff, params };
}
