import { parsePlPgSQLSync } from "libpg-query";
import type { StatementAnalyzer } from "../sql/statement-analyzer";
import { classifyStatement, type Classification } from "./classify-statement";
import { hasKnownEffects } from "./function-effects";
import { withCallEffects, type BodyEffects } from "./merge-classification";

/**
 * What a PostgreSQL statement does through the functions it calls that are not built in: judged by
 * their text alone, `select add_row(1)` is a read whatever add_row's body writes.
 *
 * Each definition of the name outside pg_catalog (any schema: over-matching is stricter, never
 * laxer) is read: a SQL body's statements, and every SQL statement and expression of a PL/pgSQL
 * body (libpg-query's PL/pgSQL parser), each classified as a client's statement would be, and the
 * functions those call in turn. A VOLATILE definition the gateway cannot read (C, another language,
 * SQL built at run time by EXECUTE) makes the call code the gateway cannot see: anonymous code,
 * which counts as write, ddl and privileges, as DO and CALL do (fail closed). A STABLE or IMMUTABLE
 * one may not write (PostgreSQL refuses it in SQL and PL/pgSQL bodies, and a C function declares
 * it): what cannot be read of it adds nothing.
 */

/** One definition of a routine name (gateway/protocols/postgres/column-catalog.ts reads them). */
export type RoutineDefinition = {
  lang: string;
  volatile: boolean;
  body: string | null;
  /** Its parameters and result as pg_get_function_arguments / pg_get_function_result write them: a PL/pgSQL body is parsed with them (it assigns its parameters). */
  signature?: { procedure: boolean; args: string; result: string | null };
};

/**
 * The definitions of a name outside pg_catalog: [] when there are none, null when the catalog could
 * not be read, undefined when not loaded; and the names only pg_catalog defines, when known (those
 * are not looked up).
 */
export type PgRoutineSource = {
  routineDefinitions(name: string): RoutineDefinition[] | null | undefined;
  builtinRoutines?(): { functions: Set<string> } | null | undefined;
};

/** How many levels of calls (a function calling another) are followed; deeper is code the gateway cannot see. */
const DEPTH = 4;

/** The names of called functions that may be the target owner's (lower case, unqualified): not pg_catalog's by name, not read from their arguments. */
export function userFunctions(functions: readonly string[]): string[] {
  return [...new Set(functions.filter((f) => !f.startsWith("pg_catalog.") && !f.startsWith("information_schema.") && !hasKnownEffects(f)).map((f) => f.split(".").at(-1)!))];
}

/** The classification with what the user functions it calls run merged in (`c` itself when it calls none), and a note for a person on what they added. */
export function withPgRoutineEffects(c: Classification, routines: PgRoutineSource, analyzer: StatementAnalyzer): { classification: Classification; note?: string } {
  return withCallEffects(c, userFunctions(c.functions), (name) => routineEffects(name, routines, analyzer, 0, new Set()));
}

/** What one routine name runs (every definition of it outside pg_catalog), or why that cannot be read. */
export function pgRoutineEffects(name: string, routines: PgRoutineSource, analyzer: StatementAnalyzer): BodyEffects {
  return routineEffects(name, routines, analyzer, 0, new Set());
}

function routineEffects(name: string, routines: PgRoutineSource, analyzer: StatementAnalyzer, depth: number, seen: Set<string>): { effects: Classification[] } | { why: string } {
  if (seen.has(name) || routines.builtinRoutines?.()?.functions.has(name)) return { effects: [] };
  seen.add(name);
  const defs = routines.routineDefinitions(name);
  if (defs === undefined) return { why: depth > DEPTH ? `a function that calls others ${DEPTH} levels deep` : "and the gateway could not read the target's functions in time" };
  if (defs === null) return { why: "and the gateway could not read the target's functions (its catalog could not be read)" };
  const effects: Classification[] = [];
  for (const def of defs) {
    const read =
      def.body !== null && (def.lang === "sql" || def.lang === "plpgsql")
        ? bodyEffects(def.lang, def.body, analyzer, def.signature)
        : { why: `a ${def.lang} function whose code the gateway cannot read` };
    if ("why" in read) {
      if (def.volatile) return { why: read.why.startsWith("a ") ? `${read.why} (VOLATILE: it may write)` : `a VOLATILE function whose body the gateway cannot read (${read.why})` };
      continue;
    }
    effects.push(...read.effects);
    for (const inner of userFunctions(read.effects.flatMap((e) => e.functions))) {
      const deeper = routineEffects(inner, routines, analyzer, depth + 1, seen);
      if ("why" in deeper) return { why: `a function that calls ${inner}, ${deeper.why}` };
      effects.push(...deeper.effects);
    }
  }
  return { effects };
}

/** What a SQL or PL/pgSQL body runs, each statement and expression classified; or why it cannot be read. Cached by body. */
export function bodyEffects(lang: "sql" | "plpgsql", body: string, analyzer: StatementAnalyzer, signature?: RoutineDefinition["signature"]): { effects: Classification[] } | { why: string } {
  const key = `${lang}\0${signature ? JSON.stringify(signature) : ""}\0${body}`;
  const known = cache.get(key);
  if (known) return known;
  const read = lang === "sql" ? sqlBody(body, analyzer) : plpgsqlBody(body, analyzer, signature);
  if (cache.size >= 1000) cache.clear();
  cache.set(key, read);
  return read;
}
const cache = new Map<string, { effects: Classification[] } | { why: string }>();

function classified(text: string, analyzer: StatementAnalyzer): Classification[] | { why: string } {
  const a = analyzer.analyze(text);
  return a.ok ? a.statements.map((s) => classifyStatement(s)) : { why: `${a.error} (in: ${text.trim().slice(0, 60)})` };
}

/** A SQL function's body: its statements; a SQL-standard body's BEGIN ATOMIC ... END statements or RETURN expression. */
function sqlBody(body: string, analyzer: StatementAnalyzer): { effects: Classification[] } | { why: string } {
  const text = body
    .trim()
    .replace(/^RETURN\b/i, "SELECT")
    .replace(/^BEGIN\s+ATOMIC\b([\s\S]*?)\bEND\s*;?\s*$/i, "$1");
  const c = classified(text, analyzer);
  return Array.isArray(c) ? { effects: c } : c;
}

// A PL/pgSQL body is parsed inside a function of these shapes until one takes it (RETURN with or without a value, RETURN NEXT / QUERY).
const SHAPES = ["() RETURNS integer", "() RETURNS SETOF integer", "() RETURNS void", "(OUT gatehouse_out integer) RETURNS SETOF integer"];
// Statements that run SQL built at run time: what they run cannot be read.
const DYNAMIC = new Set(["PLpgSQL_stmt_dynexecute", "PLpgSQL_stmt_dynfors"]);
// `target := expr` (an assignment's expression, parse modes 3 to 5): the target, to leave the expression.
const ASSIGNED = /^\s*(?:"(?:[^"]|"")*"|[\w$]+)(?:\s*\.\s*(?:"(?:[^"]|"")*"|[\w$]+)|\s*\[[^\]]*\])*\s*:?=\s*/;

function plpgsqlBody(body: string, analyzer: StatementAnalyzer, signature?: RoutineDefinition["signature"]): { effects: Classification[] } | { why: string } {
  let tree: unknown;
  let firstError = "";
  const quote = "$gatehouse_body$";
  if (body.includes(quote)) return { why: "its body holds the gateway's own quoting" };
  // Its own signature first (a body assigns its parameters and OUT columns), then shapes that take most bodies.
  const own = signature && `${signature.procedure ? "PROCEDURE" : "FUNCTION"} gatehouse_body(${signature.args})${signature.result ? ` RETURNS ${signature.result}` : ""}`;
  for (const shape of [...(own ? [own] : []), ...SHAPES.map((s) => `FUNCTION gatehouse_body${s}`)]) {
    try {
      tree = parsePlPgSQLSync(`CREATE ${shape} LANGUAGE plpgsql AS ${quote}${body}${quote}`);
      break;
    } catch (err) {
      firstError ||= (err as Error).message;
    }
  }
  if (tree === undefined) return { why: firstError };
  const effects: Classification[] = [];
  let why: string | undefined;
  const walk = (v: unknown): void => {
    if (why || typeof v !== "object" || v === null) return;
    if (Array.isArray(v)) return v.forEach(walk);
    for (const [k, inner] of Object.entries(v)) {
      if (DYNAMIC.has(k) || (k === "PLpgSQL_stmt_open" && (inner as Record<string, unknown>).dynquery)) return void (why = "it runs SQL built at run time (EXECUTE)");
      if (k === "PLpgSQL_expr") {
        const { query, parseMode } = inner as { query: string; parseMode?: number };
        const text = !parseMode ? query : parseMode === 2 ? `SELECT ${query}` : parseMode >= 3 ? `SELECT ${query.replace(ASSIGNED, "")}` : null;
        if (text === null) continue; // a type name
        const c = classified(text, analyzer);
        if (!Array.isArray(c)) return void (why = c.why);
        effects.push(...c);
        continue;
      }
      walk(inner);
    }
  };
  walk(tree);
  return why ? { why } : { effects };
}
