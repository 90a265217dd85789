import { splitMysql } from "../sql/mysql-lexer";
import { blankQuoted } from "../sql/mysql-rewrite";
import { MYSQL_BUILTIN_FUNCTIONS } from "../sql/mysql-builtins";
import { analyzeMysql } from "./classify-mysql";
import type { Classification } from "./classify-statement";
import { withCallEffects, type BodyEffects } from "./merge-classification";

/**
 * What a MySQL statement does through the stored functions it calls: a guardrail that judged
 * `select add_row(1)` by its text alone would see a read, whatever the body of add_row writes.
 *
 * A stored program's body is read here as the server runs it: its statements (each must be read by
 * the same classifier as a client's text) and the expressions of its control flow (IF, WHILE, CASE,
 * RETURN, DECLARE ... DEFAULT: each read as a SELECT of it, for what it reads and calls). Anything
 * that cannot be read, a body the account may not see, a call of a function that is neither a
 * built-in nor a stored routine the catalog lists (a loadable UDF such as sys_exec, one the account
 * cannot see), makes the call code the gateway cannot see: anonymous code, which counts as write,
 * ddl and privileges, as a CALL does (fail closed).
 */

/** The target's stored routines as the gateway's catalog of the connection knows them (gateway/protocols/mysql/view-catalog.ts). */
export type RoutineSource = {
  /** The bodies a call of the name runs (the routines it calls included): [] when it is no stored routine, null when some cannot be read, undefined when not loaded. */
  routineCode(name: string): string[] | null | undefined;
  /** The names of the parameters of the routine whose body this is: a SET of one inside the body is no session setting. */
  routineParameters?(body: string): readonly string[];
};

/** The functions a classification calls that are not built-ins: stored functions, loadable functions, or unknown. */
export const nonBuiltin = (functions: readonly string[]): string[] => functions.filter((f) => f.includes(".") || !MYSQL_BUILTIN_FUNCTIONS.has(f));

/**
 * The classification with what the stored functions it calls do merged in (`c` itself when it
 * calls none; a copy otherwise, never the cached one changed), and a note for a person on what the
 * calls added: what their bodies run, or why one counts as code the gateway cannot see.
 */
export function withRoutineEffects(c: Classification, routines: RoutineSource | null, serverVersion?: number): { classification: Classification; note?: string } {
  return withCallEffects(c, nonBuiltin(c.functions), (name) => functionEffects(name, routines, serverVersion));
}

/** What calling one function runs: its body's effects (with those of the routines it calls), or why that cannot be told. */
export function functionEffects(name: string, routines: RoutineSource | null, serverVersion?: number): BodyEffects {
  const code = routines?.routineCode(name);
  if (code === undefined) return { why: "and the gateway has not read the target's stored functions (it could not reach the target's catalog)" };
  if (code === null)
    return { why: "a stored routine whose body (or that of a routine it calls) the gateway could not read (the connection's account may not see it, or the catalog could not be read)" };
  if (code.length === 0)
    return { why: "which is neither a built-in function nor a stored function of the target (a loadable function, or one this account cannot see), so what it does cannot be read" };
  const read = codeEffects(code, routines, serverVersion);
  return "why" in read ? { why: `a stored routine ${read.why}` } : read;
}

/**
 * What stored code runs (a routine's body, a trigger's, with the bodies of the routines they call),
 * or why it cannot be read, said of the code: `whose body the gateway cannot read (...)`.
 */
export function codeEffects(code: readonly string[], routines: RoutineSource | null, serverVersion?: number): BodyEffects {
  const effects: Classification[] = [];
  for (const body of code) {
    const read = bodyEffects(body, serverVersion, routines?.routineParameters?.(body));
    if ("why" in read) return { why: `whose body the gateway cannot read (${read.why})` };
    effects.push(...read.effects);
    // What it calls in turn is among `code` (routineCode follows calls), unless it is no stored routine at all.
    for (const e of read.effects)
      for (const f of nonBuiltin(e.functions))
        if (routines?.routineCode(f)?.length === 0) return { why: `that calls ${f}, which is neither a built-in function nor a stored function the gateway can read` };
  }
  return { effects };
}

/** The effects of each statement and expression a body runs, or why it cannot be read. Cached by body. */
export function bodyEffects(body: string, serverVersion?: number, parameters: readonly string[] = []): { effects: Classification[] } | { why: string } {
  const key = `${serverVersion ?? ""}:${parameters.join(",")}:${body}`;
  const known = cache.get(key);
  if (known) return known;
  const read = readBody(body, serverVersion, parameters);
  if (cache.size >= 1000) cache.clear();
  cache.set(key, read);
  return read;
}
const cache = new Map<string, { effects: Classification[] } | { why: string }>();

function readBody(body: string, serverVersion: number | undefined, parameters: readonly string[]): { effects: Classification[] } | { why: string } {
  const split = splitMysql(body, serverVersion);
  if (!split.ok) return { why: split.error };
  const parts: Array<{ sql: string; expression: boolean }> = [];
  // The routine's parameters are its variables as its declared ones are (`SET x = x + 1` on a parameter x).
  const locals = new Set<string>(parameters);
  for (const s of split.statements) {
    const why = pieceParts(rowValues(s.executable), parts, locals);
    if (why) return { why };
  }
  const effects: Classification[] = [];
  for (const p of parts) {
    const analysis = analyzeMysql(p.expression ? `select ${p.sql}` : p.sql, serverVersion);
    if (!analysis.ok) return { why: `near ${JSON.stringify(p.sql.slice(0, 60))}: ${analysis.error}` };
    for (const st of analysis.statements) effects.push(p.expression ? readsOnly(st.classification) : localSet(st.classification, locals));
  }
  return { effects };
}

/** A SET of the body's own variables (declared, or its parameters, or a trigger's row values) changes no setting of the session: only what its values read counts. */
function localSet(c: Classification, locals: Set<string>): Classification {
  if ((c.kind !== "SET" && c.kind !== "GET DIAGNOSTICS") || !c.sessionSettings.every((n) => locals.has(n) || ROW_LOCAL.test(n))) return c;
  return readsOnly(c);
}

// A trigger's NEW.col and OLD.col (in a blanked text): the row's values, read as variables of the body's
// own, since `SET NEW.col = ...` sets the new row's column, no setting of the session.
const ROW_VALUE = /\b(new|old)\s*\.\s*(`\s*`|[\w$]+)/gi;
const ROW_LOCAL = /^gatehouse_(?:new|old)_/i;

/** The statement with each NEW.col and OLD.col written as a variable, gatehouse_new_col (not one of a longer name, `t.new.x`). */
function rowValues(statement: string): string {
  const blank = blankQuoted(statement);
  let out = "";
  let at = 0;
  for (const m of blank.matchAll(ROW_VALUE)) {
    if (m.index > 0 && blank[m.index - 1] === ".") continue;
    const end = m.index + m[0].length;
    const name = statement
      .slice(end - m[2].length, end)
      .replace(/`/g, "")
      .replace(/[^\w$]/g, "_");
    out += `${statement.slice(at, m.index)}gatehouse_${m[1].toLowerCase()}_${name}`;
    at = end;
  }
  return out + statement.slice(at);
}

const readsOnly = (c: Classification): Classification => ({ ...c, kind: "SELECT", runs: [], classes: c.tables.length ? ["read"] : c.classes.filter((k) => k === "read"), sessionSettings: [] });

const LABEL = /^(?:`[^`]*`|[\w$]+)\s*:(?!=)/;
const END = /^end\b\s*(?:if|loop|while|repeat|case|for)?\s*(?:`[^`]*`|[\w$]+)?\s*$/i;
const CONDITION = String.raw`(?:sqlexception|sqlwarning|not\s+found|sqlstate(?:\s+value)?\s+'[^']*'|\d+|[\w$]+)`;
const HANDLER = new RegExp(String.raw`^declare\s+(?:continue|exit|undo)\s+handler\s+for\s+(?:${CONDITION}\s*,\s*)*${CONDITION}\s+`, "i");

/**
 * One `;`-separated piece of a body, taken apart: leading labels, BEGIN, ELSE, LOOP, REPEAT and the
 * conditions of IF, ELSEIF, WHEN, WHILE and UNTIL (expressions) before the statement it holds, if
 * any. Adds what it runs to `parts` and the variables it declares to `locals`; returns why it cannot
 * be read, or undefined.
 */
function pieceParts(piece: string, parts: Array<{ sql: string; expression: boolean }>, locals: Set<string>): string | undefined {
  let rest = piece.trim();
  for (let guard = 0; rest !== "" && guard < 100; guard++) {
    const blank = blankQuoted(rest);
    const lower = blank.toLowerCase();
    const take = (n: number) => void (rest = rest.slice(n).trim());
    let m: RegExpExecArray | null;
    if ((m = LABEL.exec(blank))) take(m[0].length);
    else if ((m = /^begin(?:\s+not\s+atomic)?\b/i.exec(blank))) take(m[0].length);
    else if (END.test(blank)) return;
    else if ((m = /^(?:else|repeat|loop)\b/i.exec(blank)) && !/^elseif\b/i.test(blank)) take(m[0].length);
    else if ((m = /^(elseif|if|when|while|until)\b/i.exec(blank))) {
      const word = m[1].toLowerCase();
      const stop = word === "while" ? /\bdo\b/gi : word === "until" ? /\bend\s+repeat\b/gi : /\bthen\b/gi;
      const at = topLevel(blank, stop, m[0].length);
      if (at === null) return `no ${word === "while" ? "DO" : word === "until" ? "END REPEAT" : "THEN"} after ${word.toUpperCase()}`;
      parts.push({ sql: rest.slice(m[0].length, at.index), expression: true });
      if (word === "until") return;
      take(at.end);
    } else if ((m = /^case\b/i.exec(blank))) {
      const when = topLevel(blank, /\bwhen\b/gi, m[0].length);
      if (when === null) return "no WHEN after CASE";
      if (rest.slice(m[0].length, when.index).trim()) parts.push({ sql: rest.slice(m[0].length, when.index), expression: true });
      take(when.index);
    } else if ((m = /^for\s+(?:`[^`]*`|[\w$]+)\s+in\b/i.exec(blank))) {
      // MariaDB's FOR loop: over a query in parentheses, a cursor (its query read at its DECLARE), or a range a..b.
      const at = topLevel(blank, /\bdo\b/gi, m[0].length);
      if (at === null) return "no DO after FOR";
      const over = rest.slice(m[0].length, at.index).trim();
      if (over.startsWith("(")) parts.push({ sql: over.slice(1, -1), expression: false });
      else if (!/^(?:`[^`]*`|[\w$]+)$/.test(over)) for (const bound of over.replace(/^reverse\s+/i, "").split("..")) parts.push({ sql: bound, expression: true });
      take(at.end);
    } else if ((m = HANDLER.exec(blank))) take(m[0].length);
    else if ((m = /^declare\s+((?:`[^`]*`|[\w$]+)(?:\s*,\s*(?:`[^`]*`|[\w$]+))*)\s+(cursor\s+for\b|condition\s+for\b)?/i.exec(blank))) {
      const start = /^declare\s+/i.exec(blank)![0].length;
      for (const v of rest.slice(start, start + m[1].length).split(",")) locals.add(v.trim().replace(/`/g, "").toLowerCase());
      if (m[2]?.toLowerCase().startsWith("cursor")) return void parts.push({ sql: rest.slice(m[0].length), expression: false });
      if (m[2]) return;
      const value = topLevel(blank, /\bdefault\b/gi, m[0].length);
      if (value) parts.push({ sql: rest.slice(value.end), expression: true });
      return;
    } else if ((m = /^return\b/i.exec(blank))) return void parts.push({ sql: rest.slice(m[0].length), expression: true });
    else if (/^(?:leave|iterate|open|close|fetch)\b/i.test(blank)) return;
    else if (/^(?:signal|resignal)\b/i.test(blank)) return lower.includes("(") ? "a SIGNAL whose message is computed" : undefined;
    else return void parts.push({ sql: rest, expression: false });
  }
  if (rest !== "") return "a piece nested too deeply";
}

/** The first match of `re` (global) at parenthesis depth 0 from `from`, in a blanked text. */
function topLevel(blank: string, re: RegExp, from: number): { index: number; end: number } | null {
  re.lastIndex = from;
  let depth = 0;
  let at = from;
  for (let m = re.exec(blank); m; m = re.exec(blank)) {
    for (; at < m.index; at++) depth += blank[at] === "(" ? 1 : blank[at] === ")" ? -1 : 0;
    if (depth === 0) return { index: m.index, end: m.index + m[0].length };
  }
  return null;
}
