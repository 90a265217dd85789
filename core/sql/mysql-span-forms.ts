import { NAME, blankQuoted, closingParenthesis, rewriteCode, rewriteSpans, topLevel } from "./mysql-rewrite";

/**
 * The respellings of mysql-grammar-form.ts whose end is found by balancing parentheses, which a
 * pattern cannot: each rewrites spans of a statement's code (never its quoted parts) into what
 * node-sql-parser reads, for judging and column lineage only.
 */

const MATCH = /\bmatch\s*\(([^()]*)\)\s*against\s*\(/gi;
const SEARCH_MODIFIER = /\s+(?:in\s+natural\s+language\s+mode(?:\s+with\s+query\s+expansion)?|in\s+boolean\s+mode|with\s+query\s+expansion)\s*$/i;

/**
 * A full-text search (`MATCH (a, b) AGAINST ('x' IN BOOLEAN MODE)`), which the grammar does not read,
 * as a call of `match_against(a, b, 'x')`: the same columns and search expression, read as a
 * function's arguments (a score computed from the columns, as any expression over them).
 */
export const matchAgainst = (statement: string) =>
  rewriteSpans(statement, MATCH, (blanked, m) => {
    const open = m.index + m[0].length - 1;
    const close = closingParenthesis(blanked, open);
    if (close < 0) return null;
    const columnsAt = m.index + m[0].indexOf("(") + 1;
    const modifier = SEARCH_MODIFIER.exec(blanked.slice(open + 1, close));
    const search = statement.slice(open + 1, modifier ? open + 1 + modifier.index : close);
    return { end: close + 1, text: `match_against(${statement.slice(columnsAt, columnsAt + m[1].length)}, ${search})` };
  });

/**
 * `SUBSTRING(s FROM 2 FOR 3)` (also SUBSTR and MID) as `SUBSTRING(s, 2, 3)`: the same arguments. The
 * FROM and FOR are looked for directly inside the call (a subquery's FROM is deeper); a call in
 * another's arguments is read on the next pass (at most eight deep; deeper stays unreadable).
 */
export function substringArguments(statement: string): string {
  for (let pass = 0; pass < 8; pass++) {
    const next = rewriteSpans(statement, /(?<![\w$.\x60])(?:substring|substr|mid)\s*\(/gi, (blanked, m) => {
      const open = m.index + m[0].length - 1;
      const close = closingParenthesis(blanked, open);
      if (close < 0) return null;
      const cuts: number[] = [];
      let depth = 0;
      for (let i = open + 1; i < close; i++) {
        const c = blanked[i];
        if (c === "(") depth++;
        else if (c === ")") depth--;
        else if (depth === 0 && /[fF]/.test(c) && !/[\w$]/.test(blanked[i - 1]) && /^(?:from|for)(?![\w$])/i.test(blanked.slice(i, i + 5))) cuts.push(i);
      }
      if (!cuts.length) return null;
      let text = statement.slice(m.index, open + 1);
      let from = open + 1;
      for (const at of cuts) {
        text += `${statement.slice(from, at).trimEnd()}, `;
        from = at + (/^from/i.test(blanked.slice(at, at + 4)) ? 4 : 3);
        while (/\s/.test(blanked[from])) from++;
      }
      return { end: close + 1, text: `${text}${statement.slice(from, close)})` };
    });
    if (next === statement) return next;
    statement = next;
  }
  return statement;
}

/**
 * `CHAR(77, 78 USING utf8mb4)` as `CONVERT(CHAR(77, 78) USING utf8mb4)`: the same codes, read in that
 * character set (the grammar reads CONVERT ... USING, not CHAR's own USING).
 */
export const charUsing = (statement: string) =>
  rewriteSpans(statement, /(?<![\w$.\x60])char\s*\(/gi, (blanked, m) => {
    const open = m.index + m[0].length - 1;
    const close = closingParenthesis(blanked, open);
    if (close < 0) return null;
    let depth = 0;
    for (let i = open + 1; i < close; i++) {
      const c = blanked[i];
      if (c === "(") depth++;
      else if (c === ")") depth--;
      else if (depth === 0 && /[uU]/.test(c) && /\s/.test(blanked[i - 1]) && /^using\s/i.test(blanked.slice(i, i + 6)))
        return { end: close + 1, text: `convert(${statement.slice(m.index, i).trimEnd()}) ${statement.slice(i, close)})` };
    }
    return null;
  });

/**
 * An ordered-set aggregate (`PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY a DESC)`, MariaDB 10.3+) as a
 * call with the ordered expressions among its arguments (`PERCENTILE_CONT(0.5, a)`): what it reads.
 */
export const withinGroup = (statement: string) =>
  rewriteSpans(statement, /\)\s*within\s+group\s*\(\s*order\s+by\b/gi, (blanked, m) => {
    const open = m.index + m[0].search(/\(\s*order\s+by\b/i);
    const close = closingParenthesis(blanked, open);
    if (close < 0) return null;
    const ordered = statement
      .slice(m.index + m[0].length, close)
      .trim()
      .replace(/\s+(?:asc|desc)\s*$/i, "");
    return { end: close + 1, text: `, ${ordered})` };
  });

/**
 * MariaDB's `GROUP_CONCAT(... LIMIT n)` without its LIMIT (numbers only), and `JSON_ARRAYAGG(x ORDER BY y DESC LIMIT n)`
 * as `JSON_ARRAYAGG(x, y)`: the ordering's expressions stay among what the call reads.
 */
export const aggregateClauses = (statement: string) =>
  rewriteSpans(statement, /(?<![\w$.\x60])(group_concat|json_arrayagg)\s*\(/gi, (blanked, m) => {
    const open = m.index + m[0].length - 1;
    const close = closingParenthesis(blanked, open);
    if (close < 0) return null;
    const inside = topLevel(blanked, open + 1, close);
    const limit = /\blimit\s+(?:\d+|\?)(?:\s*(?:,|\boffset\b)\s*(?:\d+|\?))?\s*$/i.exec(inside);
    const cut = limit ? open + 1 + limit.index : close;
    const order = m[1].toLowerCase() === "json_arrayagg" ? /\border\s+by\b/i.exec(inside.slice(0, cut - open - 1)) : null;
    if (!limit && !order) return null;
    const args = order
      ? `${statement.slice(open + 1, open + 1 + order.index)}, ${rewriteCode(statement.slice(open + 1 + order.index + order[0].length, cut), /\s+(?:asc|desc)\b/gi, "")}`
      : statement.slice(open + 1, cut);
    return { end: close + 1, text: `${statement.slice(m.index, open + 1)}${args})` };
  });

/** `CREATE [OR REPLACE] [ALGORITHM = a] [DEFINER = u] [SQL SECURITY s] VIEW name [(columns)] AS` (quoted parts blanked). */
export const VIEW_HEAD = new RegExp(
  String.raw`^\s*create\s+(?:or\s+replace\s+)?(?:algorithm\s*=\s*\w+\s+)?(?:definer\s*=\s*(?:current_user(?:\s*\(\s*\))?|(?:'[^']*'|\x60[^\x60]*\x60|[\w$.%-]+)(?:\s*@\s*(?:'[^']*'|\x60[^\x60]*\x60|[\w$.%-]+))?)\s+)?(?:sql\s+security\s+\w+\s+)?view\s+(?:if\s+not\s+exists\s+)?${NAME}(?:\s*\([^()]*\))?\s+as\s+(?=\(|[\s\S]*\b(?:union|except|intersect)\b)`,
  "i",
);

/**
 * A view whose query is a union (or EXCEPT, INTERSECT) or starts with a parenthesis, which the grammar reads
 * only as a query of its own, as a view of that query as a derived table: `CREATE VIEW v AS SELECT * FROM (<query>) AS
 * gatehouse_view`, the same tables read and the same columns. A query that starts WITH is left as it is.
 */
export function viewQueryAsDerivedTable(statement: string): string {
  const head = VIEW_HEAD.exec(blankQuoted(statement));
  if (!head || /^\s*with\b/i.test(statement.slice(head[0].length))) return statement;
  return `${statement.slice(0, head[0].length)}SELECT * FROM (${statement.slice(head[0].length)}) AS gatehouse_view`;
}

/** VALUES where a query may start: the statement's start, a parenthesis, a set operator (an INSERT's VALUES follows a name or a list). */
const OPENED_VALUES = /(?:^|\(|\b(?:union|except|intersect|all|distinct))\s*values\b/gi;

/**
 * A table value constructor (`VALUES (1, 'a'), (2, 'b')`, MariaDB 10.3+; MySQL 8's `VALUES ROW(1)`)
 * as the SELECTs it amounts to (`SELECT 1, 'a' UNION ALL SELECT 2, 'b'`), where a query may start:
 * `VALUES (1) UNION SELECT ...`, `SELECT * FROM (VALUES (1), (2)) t`. The grammar reads no VALUES
 * there; a row's expressions (a subquery too) are read as a SELECT's. A VALUES whose rows do not
 * close is left as it is (unreadable).
 */
export const valuesAsSelects = (statement: string) =>
  rewriteSpans(statement, OPENED_VALUES, (blanked, m) => {
    const start = m.index + m[0].length - "values".length;
    const rows: string[] = [];
    let at = start + "values".length;
    for (;;) {
      const open = /^\s*(?:row\s*)?\(/i.exec(blanked.slice(at));
      const close = open ? closingParenthesis(blanked, at + open[0].length - 1) : -1;
      if (close < 0) break;
      rows.push(statement.slice(at + open![0].length, close));
      at = close + 1;
      const comma = /^\s*,/.exec(blanked.slice(at));
      if (!comma) break;
      at += comma[0].length;
    }
    return rows.length ? { start, end: at, text: rows.map((r) => `SELECT ${r}`).join(" UNION ALL ") } : null;
  });
