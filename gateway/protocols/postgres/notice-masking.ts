import type { ValueMasker } from "../../../core/masking/value-masker";

// Fields that are codes, positions or source locations, never values.
const STRUCTURAL = new Set("SVCPpFLRnstcdr".split("").map((c) => c.charCodeAt(0)));
// Fields of the message proper, where the server quotes values it could not take.
const PROSE = new Set("MDWHq".split("").map((c) => c.charCodeAt(0)));

/** Values PostgreSQL quotes in messages: `Key (email)=(...)`, `invalid input syntax ...: "..."`. */
const QUOTED_VALUES = /(\)=\()(.*?)(\)(?: already exists| is not present| conflicts|\.|$))|(")((?:[^"]|"")*)(")/g;

/**
 * Masks an ErrorResponse or NoticeResponse ('E'/'N': tagged C strings): detector hits in every
 * field that can hold text; with "quoted" (the statement names a table under a column rule) every
 * value the server quotes back (a unique violation's key, a failed cast's input), since such a
 * value may be one no detector recognises, except a name the client gave the request itself
 * (`clientNames`: `prepared statement "s1" does not exist`); with "all" (DO, CALL) the message text
 * itself. Undefined when nothing changed.
 */
export function maskNoticeFields(buf: Buffer, start: number, end: number, m: ValueMasker, withhold: "none" | "quoted" | "all", clientNames: readonly string[] = []): Buffer | undefined {
  const fields: Array<[number, string]> = [];
  let changed = false;
  let i = start + 5;
  while (i < end && buf[i] !== 0) {
    const tag = buf[i];
    const zero = buf.indexOf(0, i + 1);
    if (zero < 0 || zero >= end) return undefined;
    let value = buf.toString("utf8", i + 1, zero);
    if (!STRUCTURAL.has(tag)) {
      let next = m.scanText(value) ?? value;
      if (withhold === "quoted" && PROSE.has(tag)) next = redactQuotedValues(next, m, clientNames);
      if (withhold === "all" && PROSE.has(tag) && next !== WITHHELD) {
        next = WITHHELD;
        m.count("withheld-message");
      }
      if (next !== value) {
        changed = true;
        value = next;
      }
    }
    fields.push([tag, value]);
    i = zero + 1;
  }
  if (!changed) return undefined;
  const body = Buffer.concat([...fields.flatMap(([tag, v]) => [Buffer.from([tag]), Buffer.from(v + "\0", "utf8")]), Buffer.from([0])]);
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = buf[start];
  out.writeInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return out;
}

// What server-side code (DO, CALL) says can hold any value it read: under column rules, its text is withheld.
const WITHHELD = "[REDACTED: message of server-side code withheld by masking]";

function redactQuotedValues(text: string, m: ValueMasker, clientNames: readonly string[]): string {
  return text.replace(
    QUOTED_VALUES,
    (all, open: string | undefined, key: string | undefined, close: string | undefined, q1: string | undefined, quoted: string | undefined, q2: string | undefined) => {
      if (open !== undefined) {
        if (key!.startsWith("[REDACTED")) return all;
        m.count("quoted-value");
        return `${open}[REDACTED]${close}`;
      }
      if (quoted === "" || quoted!.startsWith("[REDACTED") || clientNames.includes(quoted!.replace(/""/g, '"'))) return all;
      m.count("quoted-value");
      return `${q1}[REDACTED]${q2}`;
    },
  );
}

/** NotificationResponse ('A': pid, channel, payload): detector hits in the payload. */
export function maskNotification(buf: Buffer, start: number, end: number, m: ValueMasker): Buffer | undefined {
  const channelEnd = buf.indexOf(0, start + 9);
  const payloadEnd = buf.indexOf(0, channelEnd + 1);
  if (channelEnd < 0 || payloadEnd < 0 || payloadEnd >= end) return undefined;
  const masked = m.scanBytes(buf, channelEnd + 1, payloadEnd);
  if (masked === null) return undefined;
  const payload = Buffer.from(masked + "\0", "utf8");
  const out = Buffer.allocUnsafe(channelEnd + 1 - start + payload.length);
  buf.copy(out, 0, start, channelEnd + 1);
  payload.copy(out, channelEnd + 1 - start);
  out.writeInt32BE(out.length - 1, 1);
  return out;
}
