/** One statement of a MySQL text: as the client wrote it (for the audit) and as the server will execute it (for judging). */
export type MysqlStatementText = {
  /** The statement as sent, comments included, without the `;`. */
  original: string;
  /**
   * What the server runs: executable comments (`/*! ... *\/`, `/*!40101 ... *\/`, `/*M! ... *\/`,
   * `/*M!100100 ... *\/`) opened up, ordinary comments replaced by a space. Whitespace-trimmed.
   */
  executable: string;
  /**
   * `executable` with numeric literals as 0 and string literals as '' (kept when the text PREPAREs or
   * EXECUTEs IMMEDIATE: then a string is SQL): statements of one shape classify alike, so a classifier can cache by it.
   */
  shape: string;
};

export type SplitResult = { ok: true; statements: MysqlStatementText[] } | { ok: false; error: string };

/**
 * Splits a MySQL text into statements at top-level `;` and expands executable comments, with
 * MySQL's lexical rules: '...' and "..." strings with backslash escapes and doubled quotes,
 * `identifiers` with doubled backticks, `#` and `-- ` line comments (`--` needs a space or a
 * control character after it, so `1--1` is arithmetic), `/* *\/` comments. The content of an
 * executable comment is lexed as ordinary text (its strings and comments too) unless it carries a
 * version above `serverVersion` (the target's, e.g. 101119 for MariaDB 10.11.19), which the server
 * skips; without a version to compare, every one is opened (judged strictly). Optimizer
 * hints (`/*+ ... *\/`) are comments to the judge. An unterminated string or comment is an error.
 */
export function splitMysql(text: string, serverVersion?: number, escapes: BackslashEscapes = "all"): SplitResult {
  const statements: MysqlStatementText[] = [];
  let start = 0;
  let exec = "";
  let shape = "";
  const keepStrings = /prepare|immediate/i.test(text);
  let inExecutable = false;
  let i = 0;
  const n = text.length;
  const flush = (end: number) => {
    const original = text.slice(start, end).trim();
    const executable = exec.trim();
    if (executable !== "") statements.push({ original, executable, shape: shape.trim() });
    exec = "";
    shape = "";
    start = end + 1;
  };
  while (i < n) {
    const c = text[i];
    if (c === "'" || c === '"' || c === "`") {
      const end = quoteEnd(text, i, c, escapes);
      if (end < 0) return { ok: false, error: `an unterminated ${c === "`" ? "quoted identifier" : "string"}` };
      exec += text.slice(i, end);
      shape += c === "`" || keepStrings ? text.slice(i, end) : `${c}${c}`;
      i = end;
      continue;
    }
    if (c >= "0" && c <= "9" && !IDENTIFIER_CHAR.test(text[i - 1] ?? " ")) {
      const m = NUMBER.exec(text.slice(i, i + 64));
      if (m && !IDENTIFIER_CHAR.test(text[i + m[0].length] ?? " ")) {
        exec += m[0];
        shape += "0";
        i += m[0].length;
        continue;
      }
    }
    if (c === "/" && text[i + 1] === "*") {
      const m = /^\/\*(M?)!(\d{5,6})?/.exec(text.slice(i, i + 10));
      // A version above the target's: the server reads it as a plain comment (mysqldump's `/*M!999999\- enable the sandbox mode */`).
      const skipped = m && m[2] !== undefined && serverVersion !== undefined && Number(m[2]) > serverVersion;
      if (m && !inExecutable && !skipped) {
        inExecutable = true;
        exec += " ";
        shape += " ";
        i += m[0].length;
        continue;
      }
      const close = text.indexOf("*/", i + 2);
      if (close < 0) return { ok: false, error: "an unterminated comment" };
      exec += " ";
      shape += " ";
      i = close + 2;
      continue;
    }
    if (c === "*" && text[i + 1] === "/" && inExecutable) {
      inExecutable = false;
      exec += " ";
      shape += " ";
      i += 2;
      continue;
    }
    if (c === "#" || (c === "-" && text[i + 1] === "-" && (i + 2 >= n || text.charCodeAt(i + 2) <= 32))) {
      const nl = text.indexOf("\n", i);
      i = nl < 0 ? n : nl;
      exec += " ";
      shape += " ";
      continue;
    }
    if (c === ";" && !inExecutable) {
      flush(i);
      i++;
      continue;
    }
    if (c === ";" && inExecutable) {
      // A `;` inside an executable comment still ends the statement on the server.
      flush(i);
      i++;
      continue;
    }
    exec += c;
    shape += c;
    i++;
  }
  if (inExecutable) return { ok: false, error: "an unterminated executable comment" };
  flush(n);
  return { ok: true, statements };
}

const IDENTIFIER_CHAR = /[A-Za-z0-9_$@.\u0080-\uffff]/;
const NUMBER = /^(0x[0-9a-f]+|\d+(\.\d*)?(e[+-]?\d+)?)/i;

// Code alone: ASCII letters, digits, blanks and operators; no quote, comment opener (`/`, `#`, `--`),
// `;`, `?`, `\\` or brace, and no hex literal (left to splitMysql). A number in it as splitMysql reads
// one: NUMBER's decimal form neither after nor before an identifier character. A shorter match
// cannot pass where NUMBER's greedy one fails, since every character NUMBER can add after a prefix
// is an identifier character (a digit, `.`, `e`) or a sign that only follows `e`.
const PLAIN = /^[A-Za-z0-9_ \t\r\n.,()=<>!+*%|&^~@:[\]$-]*$/;
const CODE_NUMBER = /(?<![A-Za-z0-9_$@.])\d+(?:\.\d*)?(?:[eE][+-]?\d+)?(?![A-Za-z0-9_$@.])/g;

/**
 * The shape splitMysql gives a text that is one statement of plain code (numbers blanked to 0),
 * without splitting it; null for any other text. Its statement is the trimmed text itself, so a
 * classifier can reuse what it concluded for the shape when only numbers change.
 */
export function plainShape(text: string): string | null {
  if (text.length > 4096 || !PLAIN.test(text) || text.includes("--") || /0x/i.test(text)) return null;
  let tooLong = false;
  const shape = text.replace(CODE_NUMBER, (d) => {
    // NUMBER reads at most 64 characters at a time (splitMysql's window): such a number is left to it.
    if (d.length >= 60) tooLong = true;
    return "0";
  });
  return tooLong ? null : shape.trim();
}

/**
 * A statement cut into code and the quoted parts after it ('...', "..." or `...`), in order, by a
 * linear scan (no regular expression: a text may hold a literal of many megabytes). An unterminated
 * quote and what follows it count as code. For a statement `splitMysql` returned.
 */
export function quotedSpans(statement: string): Array<{ code: string; quoted: string }> {
  const spans: Array<{ code: string; quoted: string }> = [];
  let from = 0;
  for (let i = 0; i < statement.length; i++) {
    const c = statement[i];
    if (c !== "'" && c !== '"' && c !== "`") continue;
    const end = quoteEnd(statement, i, c);
    if (end < 0) break;
    spans.push({ code: statement.slice(from, i), quoted: statement.slice(i, end) });
    from = end;
    i = end - 1;
  }
  spans.push({ code: statement.slice(from), quoted: "" });
  return spans;
}

/** A statement's code with each quoted part as its two quotes, and its string literals' texts (unquoted). */
export function quotedParts(statement: string): { code: string; strings: string[] } {
  const spans = quotedSpans(statement);
  return {
    code: spans.map((s) => s.code + s.quoted.slice(0, 1).repeat(2)).join(""),
    strings: spans.filter((s) => s.quoted !== "" && s.quoted[0] !== "`").map((s) => unquoteMysql(s.quoted)),
  };
}

/**
 * Which quoted spans a backslash escapes in: both kinds of string (the server's default), `'...'`
 * only (ANSI_QUOTES: `"..."` is a name), or none (NO_BACKSLASH_ESCAPES).
 */
export type BackslashEscapes = "all" | "single" | "none";

/** The index just past the quote that closes the one at `open` (-1: none). Doubled quotes and (per `escapes`) backslashes continue it. */
export function quoteEnd(text: string, open: number, q: string, escapes: BackslashEscapes = "all"): number {
  const escaping = q === "'" ? escapes !== "none" : q === '"' && escapes === "all";
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" && escaping) {
      i++;
      continue;
    }
    if (c === q) {
      if (text[i + 1] === q) {
        i++;
        continue;
      }
      return i + 1;
    }
  }
  return -1;
}

/** A greeting's version string as the number executable comments compare with: `5.5.5-10.11.19-MariaDB` -> 101119, `8.0.36` -> 80036. */
export function versionNumber(serverVersion: string): number | undefined {
  const m = /^(?:5\.5\.5-)?(\d+)\.(\d+)\.(\d+)/.exec(serverVersion);
  return m ? Number(m[1]) * 10000 + Number(m[2]) * 100 + Number(m[3]) : undefined;
}

/** A MySQL string literal's text ('...' or "..."): doubled quotes and backslash escapes undone. */
export function unquoteMysql(literal: string): string {
  const q = literal[0];
  return literal
    .slice(1, -1)
    .replaceAll(q + q, q)
    .replace(/\\(.)/g, (_, ch: string) => ({ n: "\n", t: "\t", r: "\r", "0": "\0" })[ch] ?? ch);
}

/**
 * Whether a text would split into other statements under the server's other quoting rules than the
 * default the gateway reads it with (backslash escapes in both kinds of string): with
 * NO_BACKSLASH_ESCAPES (`noBackslashEscapes`: the session's status flag says so) `'\' ; DROP TABLE t; -- '`
 * is a string, then a DROP; with ANSI_QUOTES `"..."` is a name in which a backslash escapes nothing;
 * a SET of sql_mode earlier in the same text can switch either on for the statements after it.
 */
export function quotingAmbiguous(text: string, noBackslashEscapes: boolean): boolean {
  if (!text.includes("\\")) return false;
  const read = splitMysql(text);
  const others: BackslashEscapes[] = [];
  const setsMode = read.ok && read.statements.some((st) => /^set\b/i.test(st.executable) && /sql_mode/i.test(st.executable));
  if (noBackslashEscapes || setsMode) others.push("none");
  if (text.includes('"')) others.push("single");
  return others.some((escapes) => {
    const other = splitMysql(text, undefined, escapes);
    if (read.ok !== other.ok) return true;
    if (!read.ok || !other.ok) return false;
    return read.statements.length !== other.statements.length || read.statements.some((st, i) => st.executable !== other.statements[i].executable);
  });
}
