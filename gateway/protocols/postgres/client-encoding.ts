/**
 * The session's client_encoding, as far as reading SQL texts depends on it. PostgreSQL converts a
 * text from the client encoding before it parses it; the gateway reads it as UTF-8. In BIG5, GBK,
 * UHC, JOHAB, GB18030 and SJIS the second byte of a character may be an ASCII byte, `\` among them:
 * `select E'<0x95 0x5c>'; delete ...` sent in SJIS is a one-character string and a DELETE to the
 * server, and one SELECT (an escaped quote) read as UTF-8. Other encodings keep ASCII bytes ASCII.
 */

import { PgError } from "./pg-error";

type Scan = (buf: Buffer, i: number) => number;

/** The refusal of such a text, where texts are judged or masked. */
export const AMBIGUOUS_TEXT = new PgError(
  "ERROR",
  "42601",
  "Gatehouse refused this text: in this session's client_encoding (BIG5, GBK, UHC, JOHAB, GB18030 or SJIS, or one Gatehouse could not follow) a multi-byte character in it ends in an ASCII byte such as a backslash, so the server could read the statement otherwise than Gatehouse judges it",
  undefined,
  "Use client_encoding UTF8.",
);

/** Character lengths at a byte, as PostgreSQL's pg_*_mblen count them (src/common/wchar.c). */
const high: Scan = (buf, i) => (buf[i] >= 0x80 ? 2 : 1);
const sjis: Scan = (buf, i) => (buf[i] >= 0xa1 && buf[i] <= 0xdf ? 1 : buf[i] >= 0x80 ? 2 : 1);
const gb18030: Scan = (buf, i) => (buf[i] < 0x80 ? 1 : buf[i + 1] >= 0x30 && buf[i + 1] <= 0x39 ? 4 : 2);
const johab: Scan = (buf, i) => (buf[i] === 0x8f ? 3 : buf[i] >= 0x80 ? 2 : 1);

const SCANS: Record<string, Scan> = { BIG5: high, GBK: high, UHC: high, JOHAB: johab, GB18030: gb18030, SJIS: sjis, SHIFT_JIS_2004: sjis };
const ALL = [high, sjis, gb18030, johab];

/** An ASCII byte a character may swallow without changing where tokens end: a letter, a digit, `_` (identifier characters either way). */
const harmless = (b: number) => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f;

/** A text that may change client_encoding (SET client_encoding / SET NAMES / set_config(...)). */
const CHANGES = /client_encoding|\bnames\b/i;
/** ...to an encoding that keeps ASCII ASCII, written out: no doubt what it sets. */
const SAFE_SET =
  /^set\s+(?:session\s+)?(?:client_encoding\s*(?:to|=)|names)\s*'?(?:utf-?8|unicode|latin[1-9]|latin10|sql_ascii|win125[0-8]|win866|win874|koi8r|koi8u|iso_8859_[5-8]|euc_jp|euc_kr|euc_cn|euc_tw|euc_jis_2004|mule_internal)'?\s*;?$/i;

export class ClientEncoding {
  private reported: string;
  /** What RESET, RESET ALL and DISCARD ALL go back to: the encoding the session started with. */
  private readonly initial: string;
  /** A text of this session may have set an encoding the gateway cannot tell: every unsafe one is assumed. */
  private changed = false;

  constructor(initial: string | undefined) {
    this.initial = this.reported = (initial ?? "UTF8").toUpperCase();
  }

  /** A ParameterStatus the target sent (client_encoding is reported whenever it changes). */
  onParameterStatus(buf: Buffer, start: number, end: number): void {
    const [name, value] = buf.toString("utf8", start + 5, end - 1).split("\0");
    this.onParameter(name, value);
  }

  /** A setting the target reported, by name. */
  onParameter(name: string, value: string | undefined): void {
    if (name === "client_encoding" && value) this.reported = value.toUpperCase();
  }

  /**
   * Whether the server may read this Query or Parse message (`buf[start, end)`) otherwise than the
   * gateway: read in the session's encoding (any unsafe one, after a change the gateway could not
   * follow), a character swallows an ASCII byte that is not an identifier character.
   */
  ambiguous(buf: Buffer, start: number, end: number): boolean {
    const scans = this.changed ? ALL : [...new Set([SCANS[this.reported], SCANS[this.initial]])].filter((s) => s !== undefined);
    if (scans.length === 0) return false;
    let hasHigh = false;
    for (let i = start + 5; i < end && !hasHigh; i++) hasHigh = buf[i] >= 0x80;
    if (!hasHigh) return false;
    for (const scan of scans) {
      for (let i = start + 5; i < end;) {
        const n = scan(buf, i);
        for (let k = 1; k < n && i + k < end; k++) if (buf[i + k] < 0x80 && !harmless(buf[i + k])) return true;
        i += n;
      }
    }
    return false;
  }

  /** Each judged text: one that may set client_encoding to what the gateway cannot tell marks the session (pipelined texts after it are judged before the target reports the change). */
  noteText(text: string): void {
    if (!this.changed && CHANGES.test(text) && !SAFE_SET.test(text.trim())) this.changed = true;
  }
}
