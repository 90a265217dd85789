/** `%`, `_` and `\` typed by a person are literal characters in ILIKE, not wildcards (Postgres' default escape is `\`). */
export const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
