import { quoteEnd } from "../sql/mysql-lexer";
import { URL_PASSWORD } from "./redact-secrets";

/**
 * Credentials a SQL text carries, replaced before the text is stored (audit events, the session
 * timeline, a held statement's review): `PASSWORD '...'` (Postgres roles and user mappings, MySQL's
 * SET PASSWORD, IDENTIFIED BY PASSWORD, MASTER_PASSWORD), `IDENTIFIED [WITH plugin] BY|AS|USING
 * '...'` (MySQL and MariaDB accounts), and a password inside a connection string literal
 * (`CREATE SUBSCRIPTION ... CONNECTION 'host=... password=...'`, dblink, a URL's `user:password@`).
 * The statement that runs is the client's own: only what is kept of it changes. Cheap for texts
 * that name none of these (one test first), as most statements do.
 *
 * Linear in the text's length, whatever it holds: this runs on the data path for every statement,
 * so a text built to make a regular expression backtrack (a literal left open after thousands of
 * quotes, a keyword after a long run of word characters) must not stall the gateway. Literals are
 * read left to right once, as a lexer would; a literal left open after a password keyword is
 * redacted to the end of the text.
 */
export function redactStatementSecrets(text: string): string {
  if (!MENTIONS.test(text)) return text;
  return redactInLiterals(redactKeywordValues(text));
}

const MENTIONS = /password|identified|:\/\//i;
// What comes before a password value, up to its opening quote: `PASSWORD 'x'`, `MASTER_PASSWORD = 'x'`,
// `IDENTIFIED [WITH|VIA plugin] BY|AS|USING [PASSWORD(]'x'`, `[OLD_]PASSWORD('x')`. Every alternative
// starts at a word's start and reads only a few tokens, so the search stays linear.
const BEFORE_VALUE = new RegExp(
  [
    String.raw`\w*password(?:\s*=\s*|\s+)(?:(?:old_)?password\s*\(\s*)?`,
    String.raw`identified(?:\s+(?:with|via)\s+[\w'"]+)?\s+(?:by|as|using)\s+(?:(?:old_)?password\s*\(\s*)?`,
    String.raw`(?:old_)?password\s*\(\s*`,
  ]
    .map((a) => `(?<![\\w$])${a}(?=['"])`)
    .join("|"),
  "gi",
);
// Inside a literal's content: `password=x` or `password='x y'` (a libpq connection string, its quotes doubled in the
// SQL literal). The quote classes do not overlap, so a value left open is read to the end once, not searched again.
const CONNECTION_PASSWORD = /\bpassword\s*=/i;
const CONNECTION_PASSWORD_ALL = /(\bpassword\s*=\s*)(?:'+[^']*'*|[^\s'"]+)/gi;

/**
 * Where the literal opening at `open` ends (the index after its closing quote), or -1 if it is left
 * open. Doubled quotes and backslash escapes both continue it, in either dialect (over-long rather than cut short).
 */
const literalEnd = (text: string, open: number) => quoteEnd(text, open, text[open]);

function redactKeywordValues(text: string): string {
  BEFORE_VALUE.lastIndex = 0;
  let out = "";
  let from = 0;
  for (let m = BEFORE_VALUE.exec(text); m !== null; m = BEFORE_VALUE.exec(text)) {
    const open = m.index + m[0].length;
    const end = literalEnd(text, open);
    out += `${text.slice(from, open)}'[redacted]`;
    if (end === -1) return out; // left open: the rest of the text is the value
    out += "'";
    from = BEFORE_VALUE.lastIndex = end;
  }
  return from === 0 ? text : out + text.slice(from);
}

function redactInLiterals(text: string): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 39 && c !== 34) continue;
    const end = literalEnd(text, i);
    const stop = end === -1 ? text.length : end;
    // The literal's content: its own quotes are not part of a value inside it.
    const content = text.slice(i + 1, end === -1 ? stop : stop - 1);
    if (CONNECTION_PASSWORD.test(content) || content.includes("@")) {
      const redacted = content.replace(CONNECTION_PASSWORD_ALL, "$1[redacted]").replace(URL_PASSWORD, "$1:[redacted]@");
      if (redacted !== content) {
        out += text.slice(from, i + 1) + redacted;
        from = end === -1 ? stop : stop - 1;
      }
    }
    if (end === -1) break;
    i = end - 1;
  }
  return from === 0 ? text : out + text.slice(from);
}
