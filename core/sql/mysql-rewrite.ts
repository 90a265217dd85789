import { quotedSpans } from "./mysql-lexer";

/**
 * Edits of a MySQL statement's code that never touch its quoted parts (strings, `names`): the
 * patterns run on a copy whose quoted parts are blanked (the same length), and each edit is made at
 * the same place in the statement. Shared by the grammar forms (mysql-grammar-form.ts, mysql-ddl-form.ts).
 */

export type Replace = string | ((match: RegExpExecArray) => string);

/** Name lists as the patterns meet them (quoted parts blanked to their quotes and spaces). */
export const NAME = String.raw`(?:\x60[^\x60]*\x60|[\w$]+)(?:\s*\.\s*(?:\x60[^\x60]*\x60|[\w$]+))?`;
export const NAMES = `${NAME}(?:\\s*,\\s*${NAME})*`;
export const STRING = String.raw`(?:'[^']*'|"[^"]*")`;

/** `re` replaced in the statement's code, outside its quoted parts (matched on a copy with them blanked; the lengths agree). */
export function rewriteCode(statement: string, re: RegExp, replace: Replace): string {
  const blanked = blankQuoted(statement);
  let out = "";
  let from = 0;
  re.lastIndex = 0;
  for (let m = re.exec(blanked); m; m = re.exec(blanked)) {
    out += statement.slice(from, m.index) + (typeof replace === "string" ? replace : replace(m));
    from = m.index + m[0].length;
    if (m[0].length === 0) re.lastIndex++;
  }
  return out + statement.slice(from);
}

/**
 * Rewrites the spans `span` finds at each match of `re` (global) on the statement with its quoted
 * parts blanked: from `start` (the match's own start unless said) to `end`, by `text`; null leaves
 * the match as it is. For rewrites whose end is found by balancing parentheses, which a pattern cannot.
 */
export function rewriteSpans(statement: string, re: RegExp, span: (blanked: string, m: RegExpExecArray) => { start?: number; end: number; text: string } | null): string {
  const blanked = blankQuoted(statement);
  let out = "";
  let from = 0;
  for (const m of blanked.matchAll(re)) {
    if (m.index < from) continue;
    const s = span(blanked, m);
    if (!s) continue;
    out += statement.slice(from, s.start ?? m.index) + s.text;
    from = s.end;
  }
  return out + statement.slice(from);
}

/** The index of the parenthesis that closes the one at `open` in a text whose quoted parts are blanked (-1: none). */
export function closingParenthesis(blanked: string, open: number): number {
  let depth = 0;
  for (let i = open; i < blanked.length; i++) {
    if (blanked[i] === "(") depth++;
    else if (blanked[i] === ")" && --depth === 0) return i;
  }
  return -1;
}

/** The blanked text from `from` to `to` with everything inside nested parentheses blanked too: what is directly there. */
export function topLevel(blanked: string, from: number, to: number): string {
  let depth = 0;
  let out = "";
  for (let i = from; i < to; i++) {
    const c = blanked[i];
    if (c === "(") depth++;
    out += depth > 0 ? " " : c;
    if (c === ")") depth--;
  }
  return out;
}

/** For each opening parenthesis (the text's quoted parts blanked): its closing one, and the first comma directly inside it. One pass. */
export function parentheses(blanked: string): { close: Map<number, number>; comma: Map<number, number> } {
  const close = new Map<number, number>();
  const comma = new Map<number, number>();
  const open: number[] = [];
  for (let i = 0; i < blanked.length; i++) {
    const c = blanked[i];
    if (c === "(") open.push(i);
    else if (c === ")" && open.length) close.set(open.pop()!, i);
    else if (c === "," && open.length && !comma.has(open[open.length - 1])) comma.set(open[open.length - 1], i);
  }
  return { close, comma };
}

/** The statement with each quoted part's inside blanked (its quotes kept): the same length, nothing quoted left to match. */
export function blankQuoted(statement: string): string {
  return quotedSpans(statement)
    .map((s) => s.code + (s.quoted ? s.quoted[0] + " ".repeat(s.quoted.length - 2) + s.quoted.at(-1) : ""))
    .join("");
}
