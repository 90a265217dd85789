// A CommonJS package without named ESM exports: its default export holds Parser (plain Node ESM, as `npm run gateway` runs, has no named import).
import sqlParser from "node-sql-parser";
import { ASSIGNMENT_CALL, queryForms } from "./mysql-query-forms";

/**
 * node-sql-parser with a bound on its work. Its grammars are PEG parsers without memoisation: on
 * some texts they retry the same alternatives at every level of nesting, so the work grows
 * exponentially with the depth. `select cast(cast(cast(cast(` (31 characters) took 0.4 s,
 * six levels 38 s; a valid `cast(cast(... as char) as char)` six deep 72 ms, ten deep seconds; an
 * unclosed `(select (select ...` twelve deep 33 s. The gateway reads statements on its one thread,
 * so one such text stalled every session of every protocol. The parser reads its input through
 * charCodeAt, charAt and substr, so it is handed a String object whose methods count those reads and
 * stop it once the text has had its allowance: 150 reads a character (what the corpora's statements
 * need: 20-70) plus 100,000 for short nested texts. Past it, the text is not read (`exceeded`), and
 * callers refuse it under a policy or assume the worst for masking, as for a text the grammar cannot
 * read.
 */
const parser = new sqlParser.Parser();
const READS_PER_CHARACTER = 150;
const BASE_READS = 100_000;
export type MysqlDialect = "MariaDB" | "MySQL";

export const TOO_DEEPLY_NESTED = "the statement is too deeply nested for the gateway's SQL parser to read in reasonable time";

export class ParseAllowanceExceeded extends Error {
  constructor() {
    super(TOO_DEEPLY_NESTED);
  }
}

let left = Infinity; // reads left in the current allowance; Infinity outside one
let exceeded = false;

const read = () => {
  if (--left < 0) {
    exceeded = true;
    throw new ParseAllowanceExceeded();
  }
};

class CountedText extends String {
  override charCodeAt(i: number): number {
    read();
    return super.charCodeAt(i);
  }
  override charAt(i: number): string {
    read();
    return super.charAt(i);
  }
  override substr(from: number, length?: number): string {
    read();
    return super.substr(from, length);
  }
}

/**
 * Runs `work` (which may parse several times: both dialects, each statement of a text, the pieces of
 * a stored program's body) under one allowance for a text of `length` characters. `exceeded` says
 * whether any parse ran out of it: then whatever `work` concluded from the parses that failed is void.
 */
export function withParseAllowance<T>(length: number, work: () => T): { result: T; exceeded: boolean } {
  if (left !== Infinity) return { result: work(), exceeded }; // inside an outer allowance: it covers this work
  left = READS_PER_CHARACTER * length + BASE_READS;
  exceeded = false;
  try {
    return { result: work(), exceeded };
  } finally {
    left = Infinity;
  }
}

/** One parse of `sql` (already trimmed or not: it is trimmed here) by one dialect's grammar, counted against the current allowance. */
export function parseMysql(sql: string, database: MysqlDialect): sqlParser.TableColumnAst {
  const text = sql.trim();
  // Out of its allowance, a parse throws ParseAllowanceExceeded (as a grammar's SyntaxError, it says the text was not read).
  const once = (t: string) => withParseAllowance(t.length, () => parser.parse(new CountedText(t) as unknown as string, { database, trimQuery: false })).result;
  try {
    return once(text);
  } catch (err) {
    // What the grammar reads only in some places (an assignment inside an expression, a parenthesised UNION
    // operand), respelled only when the text is not read as it is: a text it reads keeps the tree it had.
    const respelled = err instanceof ParseAllowanceExceeded || err instanceof RangeError ? text : queryForms(text);
    if (respelled === text) throw err;
    let parsed: sqlParser.TableColumnAst;
    try {
      parsed = once(respelled);
    } catch (again) {
      // Where the text as sent stopped the grammar is what the refusal names.
      throw again instanceof ParseAllowanceExceeded || again instanceof RangeError ? again : err;
    }
    if (respelled.includes(ASSIGNMENT_CALL)) assignmentsBack(parsed.ast);
    return parsed;
  }
}

type Node = Record<string, unknown>;

/**
 * The calls of ASSIGNMENT_CALL (mysql-query-forms.ts: `@x := expr` respelled where the grammar reads no
 * assignment) made back into the assignment nodes the grammar gives a SELECT's column `@x := expr`.
 */
function assignmentsBack(v: unknown): void {
  if (Array.isArray(v)) return v.forEach(assignmentsBack);
  if (typeof v !== "object" || v === null) return;
  const n = v as Node;
  const name = (n.name as { name?: Array<{ value?: unknown }> } | undefined)?.name;
  const args = (n.args as { value?: unknown[] } | undefined)?.value;
  if (n.type === "function" && name?.length === 1 && name[0].value === ASSIGNMENT_CALL && args?.length === 2) {
    for (const k of Object.keys(n)) delete n[k];
    Object.assign(n, { type: "assign", left: args[0], symbol: ":=", right: args[1] });
  }
  for (const k in n) assignmentsBack(n[k]);
}
