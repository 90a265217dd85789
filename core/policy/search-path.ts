import type { ParsedStatement } from "../sql/statement-analyzer";

/**
 * The schemas an unqualified table name may denote in a Postgres session, in order: its
 * search_path as the gateway follows it (`$user` already the target user). Null: unknown, any
 * schema (a search_path set from an expression, or changed while nothing was judging the session).
 */
export type SearchPath = string[] | null;

/** PostgreSQL's default (a role's or database's own default, `ALTER ROLE ... SET search_path`, is not seen). */
export const DEFAULT_SEARCH_PATH = '"$user", public';

/** A search_path value as PostgreSQL parses it (`"$user", public`, `Billing` is billing, `"Billing"` is Billing). */
export function parseSearchPath(value: string, user: string): SearchPath {
  const names: string[] = [];
  const item = /\s*(?:"((?:[^"]|"")*)"|([^\s,"]+))\s*(,|$)/y;
  for (let at = 0; at < value.length;) {
    item.lastIndex = at;
    const m = item.exec(value);
    if (!m) return null;
    names.push(m[1] !== undefined ? m[1].replaceAll('""', '"') : m[2].toLowerCase());
    at = item.lastIndex;
    if (m[3] === "" && at < value.length) return null;
  }
  return names.map((n) => (n === "$user" ? user : n));
}

/**
 * The search_path a client's start-up parameters ask for: a `search_path` parameter, or `-c
 * search_path=...` / `--search_path=...` in `options` (libpq's PGOPTIONS). Undefined: none asked.
 */
export function startupSearchPath(params: Record<string, string>, user: string): SearchPath | undefined {
  if (params.search_path !== undefined) return parseSearchPath(params.search_path, user);
  const options = params.options;
  if (!options || !/search_path/i.test(options)) return undefined;
  const m = /(?:^|\s)(?:-c\s*|--)search_path=((?:\\.|[^\s\\])*)/i.exec(options);
  return m ? parseSearchPath(m[1].replace(/\\(.)/g, "$1"), user) : null;
}

type Node = Record<string, unknown>;

/**
 * What a statement does to the session's search_path: `SET search_path = a, b` (each value one
 * schema, as PostgreSQL takes them), the default again (`RESET`, `SET ... TO DEFAULT`), or something
 * the gateway does not follow (set_config, an expression: then any schema). Undefined: nothing.
 */
export function searchPathChange(s: Pick<ParsedStatement, "node" | "tree">, settings: readonly string[], user: string): { path: SearchPath } | "default" | undefined {
  if (!settings.includes("search_path") && !settings.includes("*")) return undefined;
  const body = s.tree.VariableSetStmt as Node | undefined;
  if (s.node === "VariableSetStmt" && body?.name === "search_path") {
    if (body.kind === "VAR_SET_DEFAULT" || body.kind === "VAR_RESET") return "default";
    if (body.kind === "VAR_SET_VALUE") {
      const values = ((body.args as Node[] | undefined) ?? []).map((a) => ((a.A_Const as Node | undefined)?.sval as { sval?: string } | undefined)?.sval);
      if (values.length && values.every((v): v is string => typeof v === "string")) return { path: values.map((v) => (v === "$user" ? user : v)) };
    }
  }
  return { path: null };
}

/**
 * The schema-qualified names an unqualified table may be under this search path (`*.name`: any
 * schema). Deny and review rules on schema-qualified tables (`billing.*`) meet them.
 */
export function possibleTables(tables: readonly string[], path: SearchPath): string[] {
  const out: string[] = [];
  for (const t of tables) {
    if (t.includes(".")) continue;
    if (path === null) out.push(`*.${t}`);
    else for (const schema of path) out.push(`${schema}.${t}`);
  }
  return out;
}
