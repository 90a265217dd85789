import { randomBytes } from "node:crypto";
import { closingParenthesis, rewriteSpans, topLevel } from "./mysql-rewrite";
import { quotedSpans } from "./mysql-lexer";

/**
 * Respellings for two things node-sql-parser reads only in some places: a user variable's assignment
 * (`@x := expr`) and a parenthesised query (`(SELECT ...)`) as an operand of UNION / EXCEPT /
 * INTERSECT or of an ORDER BY. Like those of mysql-grammar-form.ts, they only change what the grammar
 * is given, for judging and column lineage (the server gets the text as sent); unlike them, they are
 * tried only on a text the grammar does not read as it is (mysql-parser.ts), so that a text it reads
 * keeps the tree it had.
 */

/**
 * Both respellings, for a text (already in its grammar form) that the grammar did not read. A text with
 * more than MAX_FORMS candidates of either is left as it is (unreadable, so refused under a policy):
 * each candidate costs a scan of the text, and this runs on the gateway's one thread for any text a
 * client sends.
 */
export function queryForms(text: string): string {
  const queries = countUpTo(text, QUERY_GROUP, MAX_FORMS + 1);
  const assignments = countUpTo(text, /:=/g, MAX_FORMS + 1);
  if (queries > MAX_FORMS || assignments > MAX_FORMS) return text;
  const joined = ADJACENT_STRINGS.test(text) ? adjacentStrings(text) : text;
  const respelled = queries ? parenthesisedQueries(joined) : joined;
  return assignments ? assignmentsAsCalls(respelled) : respelled;
}

/** Two quoted parts with only spaces between (a cheap look before adjacentStrings reads the quoting). */
const ADJACENT_STRINGS = /['"]\s+['"]/;

/**
 * String literals written next to each other (`'a' 'b' 'c'`), which MySQL reads as one ('abc') and the
 * grammar reads only two of (as a value and its alias), written as one literal: a pair of the same
 * quote with only spaces between loses the quotes in the middle.
 */
export function adjacentStrings(text: string): string {
  const spans = quotedSpans(text);
  let out = "";
  // The literal before was left open for this one (its closing quote dropped).
  let open = false;
  for (let i = 0; i < spans.length; i++) {
    const { code, quoted } = spans[i];
    if (!open) out += code;
    const q = quoted[0];
    const next = spans[i + 1];
    const join = (q === "'" || q === '"') && quoted.length >= 2 && next !== undefined && next.quoted[0] === q && /^\s+$/.test(next.code);
    out += (open ? quoted.slice(1) : quoted).slice(0, join ? -1 : undefined);
    open = join;
  }
  return out;
}

const MAX_FORMS = 32;
/** Where a parenthesised query may start (one nested in more parentheses starts the same way inside them). */
const QUERY_GROUP = /\(\s*(?:select|with|values)\b/gi;

function countUpTo(text: string, re: RegExp, most: number): number {
  let n = 0;
  re.lastIndex = 0;
  while (n < most && re.exec(text)) n++;
  return n;
}

/**
 * The name an assignment is respelled as a call of (`@x := expr` as `<name>(@x, expr)`), turned back
 * into an assignment in the tree (mysql-parser.ts). Random per process: a client cannot write a call
 * that the tree would take for an assignment (and so hide a stored function's call from guardrails).
 */
export const ASSIGNMENT_CALL = `gatehouse_assign_${randomBytes(8).toString("hex")}`;

/** What may end an assignment's expression besides its `,` or `)`: words of the construct around it. Met, the assignment is left as it is (unreadable). */
const FOREIGN_WORD = /\b(?:as|using|from|for|separator|order|then|else|when|end|into|limit|select|union|except|intersect|in)\b/i;
/** A parenthesis or comma, then `@name :=` (the variable's part captured). No lookbehind: V8 retries one at every position, quadratic in a run of spaces. */
const ASSIGNMENT = /[(,]\s*(@(?:[\w$.]+|\x60[^\x60]*\x60|'[^']*'|"[^"]*")\s*:=)/g;

/**
 * `@x := expr` inside parentheses or a call's arguments (`SELECT (@rn := @rn + 1)`, `IF(@g = g, @rn := @rn
 * + 1, @rn := 1)`, `WHERE (@n := @n + 1) > 1`), which the grammar reads only as a whole column of a
 * SELECT, as a call of ASSIGNMENT_CALL with the variable and the expression (`:=` binds loosest of all,
 * so the expression runs to the next `,` or `)` at its level). The tree then holds the same assignment
 * as for a column (mysql-parser.ts), which masking follows into the variable (mysql-sinks.ts).
 */
export function assignmentsAsCalls(statement: string): string {
  // An assignment inside another's expression (`(@a := @b := 1)`) is on the next pass; eight deep at most.
  for (let pass = 0; pass < 8; pass++) {
    const next = rewriteSpans(statement, ASSIGNMENT, (blanked, m) => {
      const start = m.index + m[0].length - m[1].length;
      // After a comma, only inside parentheses: a SELECT's own column `, @x := expr` is read by the grammar (and ends at FROM or an alias).
      if (!openAt(blanked, start)) return null;
      let depth = 0;
      let end = m.index + m[0].length;
      for (; end < blanked.length; end++) {
        const c = blanked[end];
        if (c === "(") depth++;
        else if (c === ")" && depth-- === 0) break;
        else if (c === "," && depth === 0) break;
      }
      if (end >= blanked.length) return null;
      if (!blanked.slice(m.index + m[0].length, end).trim() || FOREIGN_WORD.test(topLevel(blanked, m.index + m[0].length, end))) return null;
      const variable = statement.slice(start, m.index + m[0].length).replace(/\s*:=$/, "");
      return { start, end, text: `${ASSIGNMENT_CALL}(${variable}, ${statement.slice(m.index + m[0].length, end)})` };
    });
    if (next === statement) return next;
    statement = next;
  }
  return statement;
}

/** Whether `at` is inside a parenthesis of the (blanked) text. */
function openAt(blanked: string, at: number): boolean {
  let depth = 0;
  for (let i = 0; i < at; i++) {
    if (blanked[i] === "(") depth++;
    else if (blanked[i] === ")") depth--;
  }
  return depth > 0;
}

const SET_OPERATOR_BEFORE = /\b(?:union|except|intersect)(?:\s+(?:all|distinct))?$/i;
const SET_OPERATOR_AFTER = /^\s*(?:union|except|intersect)\b/i;
const ORDERED_AFTER = /^\s*(?:order\s+by|limit)\b/i;
/** An INSERT or REPLACE up to where its rows start: its table and, if any, its column list. */
const INSERT_HEAD = /^\s*(?:insert|replace)(?:\s+(?:low_priority|delayed|high_priority|ignore))*(?:\s+into)?\s+(?:\x60[^\x60]*\x60|[\w$]+)(?:\s*\.\s*(?:\x60[^\x60]*\x60|[\w$]+))?(?:\s*\([^()]*\))?$/i;

/**
 * A parenthesised query where the grammar wants a bare one, as a derived table of it: `(SELECT a FROM t
 * ORDER BY a LIMIT 1)` as `SELECT * FROM (SELECT a FROM t ORDER BY a LIMIT 1) AS gatehouse_query_1`,
 * which returns the same rows from the same tables. Where it is an operand of UNION, EXCEPT or
 * INTERSECT (`WITH c AS (...) (SELECT ...) UNION (SELECT ...)`, `IN ((SELECT 1) UNION (SELECT 2))`),
 * the query expression of an ORDER BY or LIMIT (`((SELECT ...) UNION ... ) ORDER BY 1`), the body
 * after a WITH list, or the rows of an INSERT (`INSERT INTO t (SELECT ...)`). A query in parentheses
 * anywhere else (a subquery, a derived table) is left as it is.
 */
export function parenthesisedQueries(statement: string): string {
  let n = 0;
  // A query nested in another's parentheses (`((SELECT 1) UNION (SELECT 2)) ORDER BY 1`) is on the next pass; eight deep at most.
  for (let pass = 0; pass < 8; pass++) {
    const next = rewriteSpans(statement, /\(/g, (blanked, m) => {
      const open = m.index;
      if (!isQueryGroup(blanked, open)) return null;
      const close = closingParenthesis(blanked, open);
      const before = blanked.slice(0, open).trimEnd();
      const after = blanked.slice(close + 1);
      // What precedes it: a set operator, the statement's start, a parenthesis (an enclosing one, or the end of a
      // WITH list or of an INSERT's columns), or an INSERT's table (a head of a few hundred characters at most).
      const setOperand = SET_OPERATOR_BEFORE.test(before.slice(-40));
      const insertRows = before.length < 400 && INSERT_HEAD.test(before);
      const opens = before === "" || before.endsWith("(") || before.endsWith(")") || insertRows;
      const operand = setOperand || (opens && (SET_OPERATOR_AFTER.test(after) || ORDERED_AFTER.test(after) || before.endsWith(")") || insertRows));
      // At the start of the statement, alone: the grammar reads `(SELECT ...)` there already.
      if (!operand || (before === "" && /^\s*$/.test(after))) return null;
      return { end: close + 1, text: `SELECT * FROM ${statement.slice(open, close + 1)} AS gatehouse_query_${++n}` };
    });
    if (next === statement) return next;
    statement = next;
  }
  return statement;
}

/** Whether the parenthesis at `open` holds a query: SELECT, WITH or VALUES first, or a parenthesis that holds one (eight deep at most). */
function isQueryGroup(blanked: string, open: number): boolean {
  let at = open;
  for (let depth = 0; depth < 8; depth++) {
    let inner = at + 1;
    while (inner < blanked.length && /\s/.test(blanked[inner])) inner++;
    if (/^(?:select|with|values)\b/i.test(blanked.slice(inner, inner + 7))) return closingParenthesis(blanked, open) > 0;
    if (blanked[inner] !== "(") return false;
    at = inner;
  }
  return false;
}
