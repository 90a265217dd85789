/**
 * The client character sets in which the server reads SQL text differently from Gatehouse's lexer.
 * In big5, sjis, cp932, gbk and gb18030 the second byte of a multi-byte character may be 0x5c (`\`)
 * or 0x60 (`` ` ``): the server reads the pair as one character, so `'<0xbf 0x5c>'; delete ...`
 * is a closed string and a DELETE for it, while a lexer reading UTF-8 sees an escaped quote and one
 * SELECT (the multi-byte injection mysql_real_escape_string guards against). Every other character
 * set the server accepts from a client keeps ASCII bytes ASCII. Quotes, `;`, `#`, `-`, `/` and `*`
 * are below 0x40, where no second byte lies, so only those two bytes can be swallowed.
 */

/** Collation ids of those character sets (the handshake sends one byte, COM_CHANGE_USER two): MariaDB's and MySQL's (gb18030). */
export const UNSAFE_COLLATIONS = new Set([1, 13, 28, 84, 87, 88, 95, 96, 248, 249, 250, 1025, 1037, 1052, 1108, 1111, 1112, 1119, 1120]);

/** Character sets a client may name that keep every ASCII byte a character of its own. */
const SAFE_CHARSETS = new Set(
  "utf8 utf8mb3 utf8mb4 latin1 latin2 latin5 latin7 ascii binary cp1250 cp1251 cp1256 cp1257 cp850 cp852 cp866 koi8r koi8u greek hebrew armscii8 geostd8 keybcs2 macce macroman swe7 dec8 hp8 tis620 ujis eucjpms euckr gb2312".split(
    " ",
  ),
);

const between = (b: number, lo: number, hi: number) => b >= lo && b <= hi;

/** Each set's character length at a lead byte (1 when the bytes there are no multi-byte character), as the server's lexer counts. */
const SCANS: Array<(buf: Buffer, i: number) => number> = [
  // gbk
  (buf, i) => (between(buf[i], 0x81, 0xfe) && i + 1 < buf.length && (between(buf[i + 1], 0x40, 0x7e) || between(buf[i + 1], 0x80, 0xfe)) ? 2 : 1),
  // big5
  (buf, i) => (between(buf[i], 0xa1, 0xf9) && i + 1 < buf.length && (between(buf[i + 1], 0x40, 0x7e) || between(buf[i + 1], 0xa1, 0xfe)) ? 2 : 1),
  // sjis, cp932
  (buf, i) => ((between(buf[i], 0x81, 0x9f) || between(buf[i], 0xe0, 0xfc)) && i + 1 < buf.length && (between(buf[i + 1], 0x40, 0x7e) || between(buf[i + 1], 0x80, 0xfc)) ? 2 : 1),
  // gb18030: two bytes, or four (lead, digit, lead, digit)
  (buf, i) => {
    if (!between(buf[i], 0x81, 0xfe) || i + 1 >= buf.length) return 1;
    const b1 = buf[i + 1];
    if (between(b1, 0x40, 0x7e) || between(b1, 0x80, 0xfe)) return 2;
    return between(b1, 0x30, 0x39) && i + 3 < buf.length && between(buf[i + 2], 0x81, 0xfe) && between(buf[i + 3], 0x30, 0x39) ? 4 : 1;
  },
];

/**
 * Whether, read in one of those character sets, a `\` or `` ` `` byte of `buf` (from `from` on) is
 * the second byte of a multi-byte character: then the server may split, quote or escape the text
 * otherwise than Gatehouse judged it. ASCII-only text never is.
 */
export function swallowsSyntax(buf: Buffer, from = 0): boolean {
  let high = false;
  for (let i = from; i < buf.length && !high; i++) high = buf[i] >= 0x81;
  if (!high) return false;
  for (const scan of SCANS) {
    for (let i = from; i < buf.length;) {
      const n = scan(buf, i);
      for (let k = 1; k < n; k++) if (buf[i + k] === 0x5c || buf[i + k] === 0x60) return true;
      i += n;
    }
  }
  return false;
}

/** Whether a SQL text may change the client character set (read by `ClientCharset.after`). */
const MENTIONS_CHARSET = /character_set_client|\bnames\b|\bcharacter\s+set\b|\bcharset\b/i;
const SET_NAMES = /\bset\s+(?:names|character\s+set|charset)\s+(?:'([^']*)'|"([^"]*)"|`([^`]*)`|([\w@.]+))/gi;
const SET_CLIENT = /(?<![\w@])(?:@@(?:session\.|local\.)?)?character_set_client\s*:?=\s*(?:'([^']*)'|"([^"]*)"|`([^`]*)`|([\w@.]+))/gi;
const SAVE_CLIENT = /@(\w+)\s*:?=\s*@@(?:session\.|local\.)?character_set_client\b/gi;

/**
 * A MySQL session's client character set as far as the lexer cares: whether it may be one of the
 * sets above. It starts from the handshake's collation and follows `SET NAMES`, `SET CHARACTER SET`
 * and `character_set_client` assignments in the texts the session runs (mysqldump's save and
 * restore through a user variable included); a value it cannot tell (`DEFAULT`, an unknown
 * variable, an expression) counts as unsafe. COM_RESET_CONNECTION and COM_CHANGE_USER go back to
 * the handshake's.
 */
export class ClientCharset {
  private unsafe: boolean;
  private readonly initial: boolean;
  private readonly saved = new Map<string, boolean>();

  constructor(collation: number) {
    this.initial = this.unsafe = UNSAFE_COLLATIONS.has(collation);
  }

  /**
   * Whether the server may read this command's SQL (`payload` from byte `from`, `text` as decoded)
   * otherwise than Gatehouse: in a session whose character set may be unsafe, or a text that changes
   * it (the statements after the change are read in the new one), a swallowed `\` or `` ` ``.
   */
  ambiguous(payload: Buffer, from: number, text: string): boolean {
    return (this.unsafe || MENTIONS_CHARSET.test(text)) && swallowsSyntax(payload, from);
  }

  /** Follows what a text the session ran did to the character set (over-counting: a statement that failed counts too). */
  after(text: string): void {
    if (!MENTIONS_CHARSET.test(text)) return;
    type Change = { at: number; apply: () => void };
    const changes: Change[] = [];
    for (const m of text.matchAll(SAVE_CLIENT)) changes.push({ at: m.index, apply: () => this.saved.set(m[1].toLowerCase(), this.unsafe) });
    for (const re of [SET_NAMES, SET_CLIENT]) for (const m of text.matchAll(re)) changes.push({ at: m.index, apply: () => (this.unsafe = this.unsafeValue(m[1] ?? m[2] ?? m[3] ?? m[4])) });
    // A text that names the setting in a way none of these read (a prepared SET, a procedure's): unknown.
    if (changes.length === 0 && /character_set_client\s*:?=|\bset\s+(names|character\s+set|charset)\b/i.test(text)) this.unsafe = true;
    for (const c of changes.sort((a, b) => a.at - b.at)) c.apply();
  }

  reset(): void {
    this.unsafe = this.initial;
    this.saved.clear();
  }

  private unsafeValue(raw: string): boolean {
    const v = raw.toLowerCase();
    if (v.startsWith("@@")) return true;
    if (v.startsWith("@")) return this.saved.get(v.slice(1)) ?? true;
    return !SAFE_CHARSETS.has(v);
  }
}
