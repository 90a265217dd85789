import type { ValueMasker } from "../../../core/masking/value-masker";
import { SERVER_CODE_WITHHELD as WITHHELD } from "../../../core/masking/mask-text";

// Fields that are codes, positions or source locations, never values.
const STRUCTURAL = new Set("SVCPpFLRnstcdr".split("").map((c) => c.charCodeAt(0)));
// Fields of the message proper, where the server quotes values it could not take.
const PROSE = new Set("MDWHq".split("").map((c) => c.charCodeAt(0)));

/**
 * Masks an ErrorResponse or NoticeResponse ('E'/'N': tagged C strings): detector hits in every
 * field that can hold text; with "quoted" (the statement names a table under a column rule) every
 * value the server quotes or echoes back (a unique violation's key, a failed cast's input, the row a
 * constraint refused, what the JSON and XML parsers could not read), since such a value may be one no
 * detector recognises, except a name the client gave the request itself (`clientNames`:
 * `prepared statement "s1" does not exist`); with "all" (DO, CALL) the message text itself, as for
 * any message server-side code gave under column rules (a trigger's RAISE on a table no rule names).
 * Undefined when nothing changed.
 */
export function maskNoticeFields(buf: Buffer, start: number, end: number, m: ValueMasker, withhold: "none" | "quoted" | "all", clientNames: readonly string[] = []): Buffer | undefined {
  const fields: Array<[number, string]> = [];
  let i = start + 5;
  while (i < end && buf[i] !== 0) {
    const zero = buf.indexOf(0, i + 1);
    if (zero < 0 || zero >= end) return undefined;
    fields.push([buf[i], buf.toString("utf8", i + 1, zero)]);
    i = zero + 1;
  }
  // Said by server-side code (a trigger's RAISE, an error inside a function the statement did not name): it may say any value it read.
  if (withhold !== "all" && m.masking.columns.length > 0 && fields.some(([tag, v]) => (tag === ROUTINE && v === "exec_stmt_raise") || (tag === CONTEXT && SERVER_CODE.test(v)))) withhold = "all";
  const code = withhold === "quoted" ? (fields.find(([tag]) => tag === CODE)?.[1] ?? "") : "";
  let changed = false;
  for (const field of fields) {
    const [tag, value] = field;
    if (STRUCTURAL.has(tag)) continue;
    let next = m.scanText(value) ?? value;
    if (withhold === "quoted" && PROSE.has(tag)) next = redactEchoedValues(tag, next, code, m, clientNames);
    if (withhold === "all" && PROSE.has(tag) && next !== WITHHELD) {
      next = WITHHELD;
      m.count("withheld-message");
    }
    if (next !== value) {
      changed = true;
      field[1] = next;
    }
  }
  if (!changed) return undefined;
  const body = Buffer.concat([...fields.flatMap(([tag, v]) => [Buffer.from([tag]), Buffer.from(v + "\0", "utf8")]), Buffer.from([0])]);
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = buf[start];
  out.writeInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return out;
}

const CODE = "C".charCodeAt(0);
const ROUTINE = "R".charCodeAt(0);
/** A CONTEXT line of a function's code (`PL/pgSQL function tf() line 3 at RAISE`, `SQL function "f" statement 1`); not `SQL statement "..."` (a foreign key's check). */
const SERVER_CODE = /^(?:PL\/\w+|SQL) function /m;
const DETAIL = "D".charCodeAt(0);
const CONTEXT = "W".charCodeAt(0);
const REDACTED = /^\[REDACTED[^\]]*\]$/;
/** What a constraint refused, shown whole (`Failing row contains (1, Zelda Quixotic, ...).`): every column, masked or not. */
const FAILING_ROW = /^(Failing row contains )[\s\S]*$/;
/**
 * A key's values (`Key (email)=(...) already exists.`, `... is duplicated.`, `Partition key of the
 * failing row contains (name) = (...).`): to the field's last closing parenthesis, for a value may
 * hold `) already exists` itself.
 */
const KEY_VALUES = /(\) ?= ?\()([\s\S]*)(\))/;
/** The JSON parser's context: the input up to where it stopped, as it is (`JSON data, line 1: Zelda...`). */
const JSON_INPUT = /^(JSON data, line \d+: ).*$/gm;
/** libxml2's details quote the document's own lines and names unquoted (`Opening and ending tag mismatch: Zelda line 1`). */
const XML_ERROR = /^2200[LMNST]$/;

/**
 * Values the server echoes in a message, redacted. PostgreSQL quotes a value in double quotes
 * without escaping the ones it holds (`"Mx "Quixotic" Zelda"`): paired one by one, the words between
 * two quoted pieces went out plain. So the quoted pieces are redacted one by one only when every
 * text between two of them is one of the server's own joining phrases (`new row for relation "t"
 * violates check constraint "c"`); otherwise everything from the field's first double quote to its
 * last is one value.
 */
function redactEchoedValues(tag: number, text: string, code: string, m: ValueMasker, clientNames: readonly string[]): string {
  let out = text;
  if (tag === DETAIL && XML_ERROR.test(code)) return counted(m, "[REDACTED: XML parser detail withheld by masking]");
  if (tag === DETAIL) out = out.replace(FAILING_ROW, (_all, head: string) => counted(m, `${head}([REDACTED]).`));
  if (tag === CONTEXT) out = out.replace(JSON_INPUT, (_all, head: string) => counted(m, `${head}[REDACTED]`));
  out = out.replace(KEY_VALUES, (all, open: string, key: string, close: string) => (REDACTED.test(key) ? all : counted(m, `${open}[REDACTED]${close}`)));
  if (!out.includes('"')) return out;
  const parts = out.split('"');
  // parts: prose, quoted, prose, quoted, ..., prose (an even number of quotes gives an odd number of parts).
  const paired = parts.length % 2 === 1 && parts.every((p, i) => i % 2 === 1 || i === 0 || i === parts.length - 1 || JOINING.has(p));
  const keep = (q: string) => q === "" || REDACTED.test(q) || clientNames.includes(q);
  if (paired) {
    let changed = false;
    for (let i = 1; i < parts.length; i += 2) {
      if (keep(parts[i])) continue;
      parts[i] = counted(m, "[REDACTED]");
      changed = true;
    }
    return changed ? parts.join('"') : out;
  }
  const first = out.indexOf('"');
  const last = out.lastIndexOf('"');
  // One quote alone: what follows it may be all value.
  const quoted = last > first ? out.slice(first + 1, last) : out.slice(first + 1);
  if (keep(quoted)) return out;
  return `${out.slice(0, first)}${counted(m, '"[REDACTED]"')}${last > first ? out.slice(last + 1) : ""}`;
}

/** What the server's messages put between two quoted names (`column "c" of relation "t"`, `invalid value "x" for "YYYY"`). */
const JOINING = new Set([
  " of relation ",
  " violates check constraint ",
  " violates foreign key constraint ",
  " violates exclusion constraint ",
  " on table ",
  " of table ",
  " in table ",
  " in relation ",
  " for ",
  " of type ",
  " to ",
  " and ",
  " in ",
]);

function counted(m: ValueMasker, replacement: string): string {
  m.count("quoted-value");
  return replacement;
}

/**
 * NotificationResponse ('A': pid, channel, payload): detector hits in the payload; under column rules
 * the payload is withheld whole. Whoever sent it (a trigger broadcasting `row_to_json(new)`, another
 * session, a function) may have put any value it read in it, and a payload says nothing of where its
 * text came from. The channel is kept: the client listens on it by name, so it knows it already.
 */
export function maskNotification(buf: Buffer, start: number, end: number, m: ValueMasker): Buffer | undefined {
  const channelEnd = buf.indexOf(0, start + 9);
  const payloadEnd = buf.indexOf(0, channelEnd + 1);
  if (channelEnd < 0 || payloadEnd < 0 || payloadEnd >= end) return undefined;
  let masked: string | null;
  if (m.masking.columns.length > 0) {
    if (payloadEnd === channelEnd + 1) return undefined;
    masked = NOTIFICATION_WITHHELD;
    m.count("withheld-notification");
  } else masked = m.scanBytes(buf, channelEnd + 1, payloadEnd);
  if (masked === null) return undefined;
  const payload = Buffer.from(masked + "\0", "utf8");
  const out = Buffer.allocUnsafe(channelEnd + 1 - start + payload.length);
  buf.copy(out, 0, start, channelEnd + 1);
  payload.copy(out, channelEnd + 1 - start);
  out.writeInt32BE(out.length - 1, 1);
  return out;
}

/** What stands for a notification's payload under column rules (see maskNotification). */
export const NOTIFICATION_WITHHELD = "[REDACTED: notification payload withheld by masking]";
