import { URL_PASSWORD } from "./redact-secrets";

/**
 * Credentials a SQL text carries, replaced before the text is stored (audit events, the session
 * timeline, a held statement's review): `PASSWORD '...'` (Postgres roles and user mappings, MySQL's
 * SET PASSWORD, IDENTIFIED BY PASSWORD, MASTER_PASSWORD), `IDENTIFIED [WITH plugin] BY|AS|USING
 * '...'` (MySQL and MariaDB accounts), and a password inside a connection string literal
 * (`CREATE SUBSCRIPTION ... CONNECTION 'host=... password=...'`, dblink, a URL's `user:password@`).
 * The statement that runs is the client's own: only what is kept of it changes. Cheap for texts
 * that name none of these (one test first), as most statements do.
 */
export function redactStatementSecrets(text: string): string {
  if (!MENTIONS.test(text)) return text;
  return text
    .replace(AFTER_KEYWORD, (_m, head: string) => `${head}'[redacted]'`)
    .replace(IN_CALL, (_m, head: string) => `${head}'[redacted]'`)
    .replace(QUOTED, (literal: string) =>
      CONNECTION_PASSWORD.test(literal) || literal.includes("@") ? literal.replace(CONNECTION_PASSWORD_ALL, "$1[redacted]").replace(URL_PASSWORD, "$1:[redacted]@") : literal,
    );
}

const MENTIONS = /password|identified|:\/\/[^\s'"]*:/i;
// A quoted literal: single or double quotes, doubled quotes or backslashes escaping (over-long rather than cut short).
const LITERAL = String.raw`(?:'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")`;
// `PASSWORD 'x'`, `MASTER_PASSWORD = 'x'`, `IDENTIFIED [WITH|VIA plugin] BY|AS|USING [PASSWORD(]'x'`: the keyword, then `=` or a space.
const AFTER_KEYWORD = new RegExp(
  String.raw`((?<![A-Za-z0-9$])(?:\w*password|identified(?:\s+(?:with|via)\s+[\w'"]+)?\s+(?:by|as|using))(?:\s*=\s*|\s+)(?:(?:old_)?password\s*\(\s*)?)(${LITERAL})`,
  "gi",
);
// `PASSWORD('x')`, `OLD_PASSWORD('x')`: the function that hashes a password given in clear.
const IN_CALL = new RegExp(String.raw`((?<![A-Za-z0-9$_])(?:old_)?password\s*\(\s*)(${LITERAL})`, "gi");
const QUOTED = new RegExp(LITERAL, "g");
const CONNECTION_PASSWORD = /\bpassword\s*=/i;
const CONNECTION_PASSWORD_ALL = /(\bpassword\s*=\s*)(?:'(?:[^'\\]|\\.)*'|[^\s'"]+)/gi;
