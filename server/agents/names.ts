/**
 * The rules the gateway itself applies (core/identity/manage-keys.ts for identities,
 * server/access for groups), checked here first so a form gets a field error instead of a failure.
 * Pure and free of zod on purpose: the forms import it, and it stays out of their bundles' weight.
 */
export const IDENTITY_NAME = /^\S{1,128}$/;
export const GROUP_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.:-]{0,62}$/;

/** "a, b,,c a" -> ["a", "b", "c"]: commas or spaces separate, duplicates go. */
export function splitGroups(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[\s,]+/)
        .map((g) => g.trim())
        .filter(Boolean),
    ),
  ];
}

/** Key lifetimes the console offers; 0 means the key never expires. */
export const KEY_LIFETIMES = [
  { label: "1 hour", seconds: 3600 },
  { label: "24 hours", seconds: 86_400 },
  { label: "7 days", seconds: 7 * 86_400 },
  { label: "30 days", seconds: 30 * 86_400 },
  { label: "never expires", seconds: 0 },
] as const;

const shellQuote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
// libpq conninfo values with spaces, quotes or backslashes need single quotes and backslash escapes.
const conninfoValue = (s: string) => (/^[^\s'\\]+$/.test(s) ? s : `'${s.replace(/[\\']/g, "\\$&")}'`);

/** The shell line that uses a key: the key is the password, the connection's name is the database. */
export function psqlLine(input: { host: string; port: string; identity: string; connection: string; key: string }): string {
  const info = `host=${input.host} port=${input.port} dbname=${conninfoValue(input.connection)} user=${conninfoValue(input.identity)} sslmode=require`;
  // Double quotes read best; fall back to single quotes when the shell would expand something.
  const quoted = /^[^"$`\\!]+$/.test(info) ? `"${info}"` : `'${info.replace(/'/g, `'\\''`)}'`;
  return `PGPASSWORD=${shellQuote(input.key)} psql ${quoted}`;
}
