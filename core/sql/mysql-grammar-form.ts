import { ddlForm } from "./mysql-ddl-form";
import { NAME, NAMES, STRING, blankQuoted, parentheses, rewriteCode, type Replace } from "./mysql-rewrite";
import { aggregateClauses, charUsing, matchAgainst, substringArguments, valuesAsSelects, VIEW_HEAD, viewQueryAsDerivedTable, withinGroup } from "./mysql-span-forms";

/**
 * A MySQL statement (one, comments already out, as the lexer gives it) rewritten into the subset of
 * the language node-sql-parser reads, for judging and column lineage only (the server always gets
 * the text as sent). Each rewrite keeps what a rule or the masking reads: the kind, the tables, the
 * columns and functions, the WHERE. They drop or respell what is only a hint to the optimizer or
 * the lock manager, and respell operators the grammar lacks as ones it has:
 *
 * - `||` and `&&` as OR and AND, as the server reads them without PIPES_AS_CONCAT (the grammar reads
 *   `||` as concatenation, binding tighter than `=`: `DELETE ... WHERE id = 1 || 1` deletes every row);
 * - `<=>` (NULL-safe equality) and `SOUNDS LIKE` as `=`;
 * - index hints (`USE INDEX (a)`, `FORCE KEY FOR JOIN (b)`, `IGNORE INDEX ()`), partition selection
 *   (`t PARTITION (p0, p1)`) and `HIGH_PRIORITY` dropped;
 * - `NATURAL [LEFT|RIGHT] JOIN` as `CROSS JOIN` (the same tables; no ON to read);
 * - `FOR SHARE` as `LOCK IN SHARE MODE`, and a locking clause's `OF t1, t2` dropped (still a locking read);
 * - `TABLE t` as `SELECT * FROM t`, `DO expr` as `SELECT expr` (the caller keeps the kind DO);
 * - a table value constructor (`VALUES (1), (2)`, alone, in a union or a derived table) as SELECTs (valuesAsSelects);
 * - a full-text search `MATCH (a) AGAINST ('x' IN BOOLEAN MODE)` as `match_against(a, 'x')` (matchAgainst), also
 *   MariaDB's `MATCH a, b AGAINST (...)`, and MySQL 8's `a MEMBER OF (json)` as `a IN (json)`;
 * - where the grammar still does not read the text (and only then, mysql-parser.ts): `@x := expr` inside parentheses
 *   or arguments, and a parenthesised query where the grammar wants a bare one (mysql-query-forms.ts);
 * - `CREATE INDEX IF NOT EXISTS` and a view's `WITH CHECK OPTION` as without them, a table's `PARTITION BY ...` dropped where
 *   no query follows, and MariaDB's `NEXT VALUE FOR s` / `PREVIOUS VALUE FOR s` as `nextval(s)` / `lastval(s)`;
 * - `EXPLAIN FORMAT=JSON` / `EXTENDED` / `PARTITIONS` as `EXPLAIN`;
 * - MySQL 8's row alias of an upsert (`INSERT ... VALUES (...) AS new ON DUPLICATE KEY UPDATE a = new.a`,
 *   as Laravel sends) dropped: `new.a` is then read as a column of a table named new, which adds no table;
 * - Rails' and others' `SET NAMES utf8mb4 [COLLATE c], @@SESSION.x = ...` as a SET of `names`;
 * - MariaDB's `SET STATEMENT max_statement_time = 5 FOR` before a statement dropped, when its settings read nothing;
 * - MariaDB's system-versioned reads (`t FOR SYSTEM_TIME ALL / AS OF / BETWEEN / FROM ...`) as reads of `t`, when
 *   the times are literals, NOW() and the like (history rows have the table's columns, masked as they are);
 * - an aggregate's DISTINCT (`SUM(DISTINCT a)`), STD / STDDEV / VARIANCE as their _POP names, a window frame's RANGE as
 *   ROWS, EXCEPT ALL / INTERSECT ALL without ALL, `OFFSET n ROWS FETCH FIRST m ROWS ONLY` as `LIMIT m OFFSET n`, MariaDB's
 *   `LIMIT ROWS EXAMINED n` dropped, `SUBSTRING(a FROM 2 FOR 3)` as `SUBSTRING(a, 2, 3)` (substringArguments),
 *   `PERCENTILE_CONT(x) WITHIN GROUP (ORDER BY a)` as `PERCENTILE_CONT(x, a)` (withinGroup), `CHAR(n USING cs)` as
 *   `CONVERT(CHAR(n) USING cs)` (charUsing), GROUP_CONCAT's LIMIT dropped and
 *   JSON_ARRAYAGG's ORDER BY read as arguments (aggregateClauses), `DELETE FROM t USING ...`
 *   as `DELETE t FROM ...`, INSERT's `VALUE (...)`, empty column list and empty rows, and `GRANT ALL PRIVILEGES` as `GRANT ALL`;
 * - CAST to `UNSIGNED INT` / `SIGNED INTEGER` / INET6 / UUID, or with `CHARSET x`, as to UNSIGNED / SIGNED / CHAR / CHARACTER SET x;
 * - a view whose query is a union or starts with a parenthesis as a view of it as a derived table (viewQueryAsDerivedTable);
 * - table definitions in the server's synonyms (mysql-ddl-form.ts); the rewrites named in parentheses here, whose end is
 *   found by balancing parentheses, are in mysql-span-forms.ts;
 * - a character set introducer before a literal (`_utf8mb4'x'`, `_latin1 0x41`: it says how the
 *   literal's bytes are read, and leaves it a literal) dropped;
 * - an `INSERT`/`REPLACE ... VALUES` whose rows after the first hold literals only cut to its first
 *   row (firstLiteralRow), and a long `IN (...)` list of literals to its first item (longInListsCut).
 *
 * Quoted parts (strings, `names`) are never touched: the patterns run on a copy whose quoted parts
 * are blanked, and each edit is made at the same place in the statement.
 */
export function grammarForm(statement: string): string {
  // Rows first: a dump's statement is cut to one row before the IN-list cut reads it (an IN list in a row keeps every row anyway).
  let text = ddlForm(longInListsCut(firstLiteralRow(statement)));
  for (const [test, re, replace] of REWRITES) if (test.test(text)) text = rewriteCode(text, re, replace);
  if (/\b(?:substring|substr|mid)\s*\(/i.test(text)) text = substringArguments(text);
  if (/\bwithin\s+group\b/i.test(text)) text = withinGroup(text);
  if (/\bchar\s*\(/i.test(text) && /\busing\b/i.test(text)) text = charUsing(text);
  if (/\b(?:group_concat|json_arrayagg)\s*\(/i.test(text)) text = aggregateClauses(text);
  if (VIEW_HEAD.test(text)) text = viewQueryAsDerivedTable(text);
  if (/\bvalues\b/i.test(text)) text = valuesAsSelects(text);
  return /\bagainst\b/i.test(text) ? matchAgainst(text) : text;
}

const INDEX_HINT = String.raw`\b(?:use|force|ignore)\s+(?:index|key)\s*(?:for\s+(?:join|order\s+by|group\s+by)\s*)?\([^()]*\)`;
/** What may follow SELECT before its columns; all but the first three are hints only, and the server reads them there even where a column has that name. */
const SELECT_MODIFIERS = "all|distinct|distinctrow|high_priority|straight_join|sql_small_result|sql_big_result|sql_buffer_result|sql_no_cache|sql_cache|sql_calc_found_rows";
const KEPT_SELECT_MODIFIERS = /\b(?:all|distinct|distinctrow)\b/gi;
/** What may follow `INTO OUTFILE 'file'`: how the file is written (its character set, field and line separators). */
const EXPORT_OPTION = String.raw`(?:character\s+set|charset)\s+(?:[\w$]+|${STRING})|(?:fields|columns)(?:\s+(?:terminated|(?:optionally\s+)?enclosed|escaped)\s+by\s+${STRING})+|lines(?:\s+(?:starting|terminated)\s+by\s+${STRING})+`;

/**
 * A point in time as a system-versioned read names one: a literal (`TIMESTAMP '2024-01-01'`, a
 * transaction id), NOW() / CURRENT_TIMESTAMP / CURRENT_DATE or a user variable, give or take
 * INTERVALs. Anything else (a subquery, a function) is left for the grammar, which refuses it.
 */
const TIME_POINT = String.raw`(?:(?:timestamp|transaction)\s+)?(?:'[^']*'|\d+(?:\.\d+)?|now\s*\(\s*\d*\s*\)|current_timestamp(?:\s*\(\s*\d*\s*\))?|current_date(?:\s*\(\s*\))?|@[\w$]+)(?:\s*[-+]\s*interval\s+\d+\s+\w+)*`;
const SYSTEM_TIME = String.raw`\bfor\s+system_time\s+(?:all|as\s+of\s+${TIME_POINT}|between\s+${TIME_POINT}\s+and\s+${TIME_POINT}|from\s+${TIME_POINT}\s+to\s+${TIME_POINT})`;

/** The character sets MariaDB and MySQL name (an introducer is `_` and one of them, before a string, hex or bit literal). */
const CHARSETS =
  "armscii8|ascii|big5|binary|cp1250|cp1251|cp1256|cp1257|cp850|cp852|cp866|cp932|dec8|eucjpms|euckr|gb18030|gb2312|gbk|geostd8|greek|hebrew|hp8|keybcs2|koi8r|koi8u|latin1|latin2|latin5|latin7|macce|macroman|sjis|swe7|tis620|ucs2|ujis|utf16|utf16le|utf32|utf8|utf8mb3|utf8mb4";

/** Aggregates that take DISTINCT (COUNT and GROUP_CONCAT with it are read as they are). */
const AGGREGATES = "sum|avg|min|max|std|stddev|stddev_pop|stddev_samp|variance|var_pop|var_samp|bit_and|bit_or|bit_xor|json_arrayagg|json_objectagg";
/** A row count as OFFSET / FETCH take it (a number or a placeholder). */
const COUNT = String.raw`(\d+|\?)`;
const OFFSET_FETCH = new RegExp(
  String.raw`\boffset\s+${COUNT}\s+rows?\b(?:\s+fetch\s+(?:first|next)\s+(?:${COUNT}\s+)?rows?\s+(?:only|with\s+ties)\b)?|\bfetch\s+(?:first|next)\s+(?:${COUNT}\s+)?rows?\s+(?:only|with\s+ties)\b`,
  "gi",
);

/** [a cheap test on the text, the pattern (global), its replacement]. */
const REWRITES: Array<[RegExp, RegExp, Replace]> = [
  [/\|\||&&/, /\|\||&&/g, (m) => (m[0] === "||" ? " OR " : " AND ")],
  [/<=>/, /<=>/g, " = "],
  [/sounds/i, /\bsounds\s+like\b/gi, " = "],
  // MySQL 8's `a MEMBER OF (json)`: a predicate of the same place and operands as IN.
  [/\bmember\s+of\b/i, /\bmember\s+of\s*(?=\()/gi, " IN "],
  // MariaDB's full-text search without parentheses round its columns (`MATCH a, b AGAINST (...)`), as with them (matchAgainst reads it).
  [/\bagainst\b/i, new RegExp(`\\bmatch\\s+(${NAMES})\\s+against\\s*\\(`, "gi"), (m) => `MATCH (${m[1]}) AGAINST (`],
  [/\b(use|force|ignore)\b/i, new RegExp(`${INDEX_HINT}(?:\\s*,\\s*${INDEX_HINT})*`, "gi"), " "],
  [/\bpartition\s*\(/i, /\bpartition\s*\([^()]*\)/gi, " "],
  [/high_priority|straight_join|sql_/i, new RegExp(`\\bselect((?:\\s+(?:${SELECT_MODIFIERS})\\b)+)`, "gi"), (m) => `SELECT ${m[1].match(KEPT_SELECT_MODIFIERS)?.join(" ") ?? ""} `],
  [/low_priority|ignore/i, /\bupdate(?:\s+(?:low_priority|ignore)\b)+/gi, "UPDATE"],
  [/low_priority|quick|ignore/i, /\bdelete(?:\s+(?:low_priority|quick|ignore)\b)+/gi, "DELETE"],
  [/low_priority|delayed|high_priority/i, /\b(insert|replace)(?:\s+(?:low_priority|delayed|high_priority)\b)+/gi, (m) => m[1]],
  // `LOCK TABLE` / `UNLOCK TABLE`, synonyms the grammar reads only in the plural.
  [/^\s*(?:un)?lock\s+table\b/i, /^(\s*(?:un)?lock\s+)table\b/gi, (m) => `${m[1]}TABLES`],
  // A multi-table DELETE's other spelling, `DELETE FROM t1, t2 USING <tables>`, as `DELETE t1, t2 FROM <tables>`.
  [/\busing\b/i, new RegExp(`^(\\s*delete)\\s+from\\s+((?:${NAME}(?:\\s*\\.\\s*\\*)?\\s*,\\s*)*${NAME}(?:\\s*\\.\\s*\\*)?)\\s+using\\b`, "gi"), (m) => `${m[1]} ${m[2]} FROM`],
  // A multi-table DELETE naming its targets as `t.*` (the server's older spelling): the tables themselves.
  [/\bdelete\b/i, new RegExp(`\\bdelete\\s+((?:${NAME}\\s*\\.\\s*\\*\\s*,\\s*)*${NAME}\\s*\\.\\s*\\*)(?=\\s+from\\b)`, "gi"), (m) => `DELETE ${m[1].replace(/\s*\.\s*\*/g, "")}`],
  [/\boutfile\b/i, new RegExp(`(\\binto\\s+outfile\\s+${STRING})(?:\\s+(?:${EXPORT_OPTION}))+`, "gi"), (m) => m[1]],
  [/\bnatural\b/i, /\bnatural\s+(?:(?:left|right)\s+(?:outer\s+)?)?join\b/gi, " CROSS JOIN "],
  [/\bfor\s+(update|share)\s+of\b/i, new RegExp(`\\bfor\\s+(update|share)\\s+of\\s+${NAMES}`, "gi"), (m) => `FOR ${m[1]}`],
  [/\bfor\s+share\b/i, /\bfor\s+share\b/gi, "LOCK IN SHARE MODE"],
  [/^\s*table\b/i, /^\s*table\b/gi, "SELECT * FROM"],
  // MySQL 8's `TABLE t` as a query inside a statement: an INSERT's rows (`INSERT INTO t2 TABLE t`), a union's member.
  [/^\s*(?:insert|replace)\b[\s\S]*\btable\b/i, new RegExp(`\\btable\\s+(?=${NAME})`, "gi"), "SELECT * FROM "],
  [/\bunion\b[\s\S]*\btable\b/i, new RegExp(`\\b(union(?:\\s+all|\\s+distinct)?\\s*\\(?\\s*)table\\s+(?=${NAME})`, "gi"), (m) => `${m[1]}SELECT * FROM `],
  [/^\s*do\b/i, /^\s*do\b/gi, "SELECT"],
  [/^\s*(explain|describe|desc)\s+(format|extended|partitions)\b/i, /^(\s*(?:explain|describe|desc))\s+(?:format\s*=\s*\w+|extended|partitions)\b/gi, (m) => m[1]],
  [/^\s*insert\b[\s\S]*\bon\s+duplicate\s+key\s+update\b/i, new RegExp(`\\bas\\s+${NAME}(?:\\s*\\([^()]*\\))?(?=\\s+on\\s+duplicate\\s+key\\s+update\\b)`, "gi"), " "],
  [/\b_[a-z]/i, new RegExp(`(?<![\\w$.@\\x60])_(?:${CHARSETS})\\s*(?=['"]|0x[0-9a-f]|[xb]')`, "gi"), " "],
  // MariaDB's CREATE INDEX IF NOT EXISTS (migrations), and a view's WITH [CASCADED | LOCAL] CHECK OPTION: the same index, the same view.
  [/^\s*create\b[\s\S]*\bindex\s+if\b/i, /^(\s*create\s+(?:or\s+replace\s+)?(?:(?:unique|fulltext|spatial)\s+)?index)\s+if\s+not\s+exists\b/gi, (m) => m[1]],
  [/\bcheck\s+option\b/i, /\bwith\s+(?:cascaded\s+|local\s+)?check\s+option\s*$/gi, " "],
  // A table's partitioning (PARTITION BY HASH (id) PARTITIONS 4: how rows are stored, by its own columns), where no query
  // (`... SELECT`, MySQL 8's `... TABLE t`) follows.
  [/^\s*(?:create|alter)\b[\s\S]*\bpartition\s+by\b/i, /\bpartition\s+by\b(?![\s\S]*\b(?:select|table)\b)[\s\S]*$/gi, " "],
  // An ALTER that only repartitions the table (`ALTER TABLE t PARTITION BY ...`, dropped above): the table's ALTER, with nothing else to read.
  [/^\s*alter\b/i, new RegExp(`^(\\s*alter\\s+(?:ignore\\s+)?table\\s+${NAME})\\s*$`, "gi"), (m) => `${m[1]} ALGORITHM = DEFAULT`],
  // MariaDB's NEXT / PREVIOUS VALUE FOR s: its NEXTVAL(s) / LASTVAL(s).
  [/\bvalue\s+for\b/i, new RegExp(`\\b(next|previous)\\s+value\\s+for\\s+(${NAME})`, "gi"), (m) => `${m[1].toLowerCase() === "next" ? "nextval" : "lastval"}(${m[2]})`],
  // MariaDB's system-versioned reads (`t FOR SYSTEM_TIME ALL`, `AS OF ...`): the same table, its rows of other times.
  [/\bsystem_time\b/i, new RegExp(SYSTEM_TIME, "gi"), " "],
  // An UPDATE or DELETE of an application-time period's portion (`FOR PORTION OF p FROM a TO b`, literal times): a write of the table.
  [/\bportion\s+of\b/i, new RegExp(`\\bfor\\s+portion\\s+of\\s+${NAME}\\s+from\\s+${TIME_POINT}\\s+to\\s+${TIME_POINT}`, "gi"), " "],
  // MariaDB's `SET STATEMENT a = 1 FOR <statement>` as the statement (settings of names and literals only: one that
  // reads anything stays, and the text is unreadable to the grammar). classify-mysql.ts judges the settings itself.
  [/^\s*set\s+statement\b/i, /^\s*set\s+statement\s+[^()]*?\bfor\s+/gi, ""],
  // Spellings the grammar lacks of what it reads: an aggregate of DISTINCT values (`SUM(DISTINCT a)`, as Django sends) as of the
  // values, STD / STDDEV / VARIANCE as their _POP names, a window frame of RANGE as of ROWS, EXCEPT ALL / INTERSECT ALL as
  // EXCEPT / INTERSECT, `OFFSET n ROWS FETCH FIRST m ROWS ONLY` as `LIMIT m OFFSET n`, MariaDB's `LIMIT ROWS EXAMINED n` (a
  // cap on work) dropped, GRANT / REVOKE `ALL PRIVILEGES` as `ALL`.
  [/\bdistinct\b/i, new RegExp(`(?<![\\w$.\\x60])(${AGGREGATES})\\s*\\(\\s*distinct\\b`, "gi"), (m) => `${m[1]}(`],
  [/\b(?:std|stddev|variance)\(/i, /(?<![\w$.\x60])(std|stddev|variance)\(/gi, (m) => (m[1].toLowerCase() === "variance" ? "var_pop(" : "stddev_pop(")],
  [/\brange\b/i, /\brange(?=\s+(?:between|unbounded|current|\d))/gi, "ROWS"],
  [/\b(?:except|intersect)\s+all\b/i, /\b(except|intersect)\s+all\b/gi, (m) => m[1]],
  [/\bfetch\b|\boffset\s+\S+\s+rows?\b/i, OFFSET_FETCH, (m) => `LIMIT ${m[2] ?? m[3] ?? (m[1] ? "18446744073709551615" : "1")}${m[1] ? ` OFFSET ${m[1]}` : ""}`],
  [/\bexamined\b/i, /\blimit\s+rows\s+examined\s+\d+|\s+rows\s+examined\s+\d+/gi, " "],
  // CAST / CONVERT to `UNSIGNED INT`, `SIGNED INTEGER` (as to UNSIGNED, SIGNED), to MariaDB's INET4 / INET6 / UUID (as to CHAR), with `CHARSET x`.
  [/\bsigned\s+int/i, /\b(unsigned|signed)\s+int(?:eger)?(?=\s*\))/gi, (m) => m[1]],
  [/\b(?:inet4|inet6|uuid)\s*\)/i, /\bas\s+(?:inet4|inet6|uuid)(?=\s*\))/gi, "AS CHAR"],
  [/\bcharset\b/i, /(\bas\s+(?:char|varchar|nchar)(?:\s*\(\s*\d+\s*\))?\s+)charset\b/gi, (m) => `${m[1]}CHARACTER SET`],
  [/^\s*(?:grant|revoke)\s+all\s+privileges\b/i, /^(\s*(?:grant|revoke)\s+all)\s+privileges\b/gi, (m) => m[1]],
  // INSERT's `VALUE (...)` (a synonym), an empty column list and empty rows (`INSERT INTO t () VALUES (), ()`: every column its default).
  [/^\s*(?:insert|replace)\b/i, new RegExp(`^(\\s*(?:insert|replace)(?:\\s+ignore)?\\s+(?:into\\s+)?${NAME})\\s*\\(\\s*\\)`, "gi"), (m) => m[1]],
  [
    /^\s*(?:insert|replace)\b[\s\S]*\bvalue\s*\(/i,
    new RegExp(`^(\\s*(?:insert|replace)(?:\\s+ignore)?\\s+(?:into\\s+)?${NAME}\\s*(?:\\([^()]*\\)\\s*)?)value(?=\\s*\\()`, "gi"),
    (m) => `${m[1]}VALUES`,
  ],
  [/^\s*(?:insert|replace)\b[\s\S]*\(\s*\)/i, /(?<=(?:\bvalues|\)\s*,)\s*)\(\s*\)/gi, "(DEFAULT)"],
  [/^\s*set\s+names\b/i, /^(\s*set\s+)names\s+([\w$]+|'[^']*'|"[^"]*")(?:\s+collate\s+([\w$]+|'[^']*'|"[^"]*"))?(?=\s*,)/gi, (m) => `${m[1]}names = ''`],
];

/**
 * `JSON_TABLE(expr, path COLUMNS (...)) AS j` as `(SELECT expr) AS j`, for judging only: what it
 * reads and calls is in its first argument (the path and the column list hold literals and names).
 * Not for column lineage, which masks a JSON_TABLE's columns by what its arguments read
 * (mysql-columns.ts, tableFunctionAliases). A call whose parentheses do not close is left as it is.
 */
export function tableFunctionsAsSubqueries(statement: string): string {
  if (!/json_table/i.test(statement)) return statement;
  const blanked = blankQuoted(statement);
  // Found in one pass: searched from every JSON_TABLE( instead, thousands of them left open took time growing with their square.
  const { close, comma } = parentheses(blanked);
  let out = "";
  let from = 0;
  for (const m of blanked.matchAll(/\bjson_table\s*\(/gi)) {
    const at = m.index + m[0].length - 1;
    const end = close.get(at);
    const firstComma = comma.get(at);
    if (at < from || end === undefined || firstComma === undefined) continue;
    out += `${statement.slice(from, m.index)}(SELECT ${statement.slice(at + 1, firstComma)})`;
    from = end + 1;
  }
  return out + statement.slice(from);
}

const INSERT_HEAD = new RegExp(
  String.raw`^\s*(?:insert|replace)(?:\s+(?:low_priority|delayed|high_priority|ignore))*\s+(?:into\s+)?${NAME}(?:\s+partition\s*\([^()]*\))?\s*(?:\([^()]*\)\s*)?values?\s*$`,
  "i",
);
// One value of a row of literals once its quoted parts are blanked (`'   '`): a signed number, NULL, TRUE, FALSE,
// DEFAULT, a hex or bit literal, or strings (after an optional character set introducer and X, B or N prefix).
const LITERAL_VALUE = /^(?:[+-]\s*)*(?:\d+(?:\.\d*)?(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?|0x[0-9a-f]+|0b[01]+|null|true|false|default|(?:_[a-z0-9]+\s*)?[xbn]?(?:'\s*'|"\s*")(?:\s*(?:'\s*'|"\s*"))*)$/i;
const literalRow = (inside: string) => inside.split(",").every((v) => LITERAL_VALUE.test(v.trim()));

/**
 * Each `IN (...)` list of literals only, longer than 1 KiB, cut to its first item: an ORM's
 * `WHERE id IN (...)` of 50,000 ids took the grammar library 6 s to judge and 3.6 s to trace. The
 * other items read, call and name nothing, and whether a WHERE filters (a write without one is
 * judged as unbounded) depends on its columns, not on these values.
 */
export function longInListsCut(statement: string): string {
  if (statement.length < 1024 || !/\bin\s*\(/i.test(statement)) return statement;
  const blanked = blankQuoted(statement);
  const { close } = parentheses(blanked);
  let out = "";
  let from = 0;
  for (const m of blanked.matchAll(/\bin\s*\(/gi)) {
    const open = m.index + m[0].length - 1;
    const end = close.get(open);
    if (open < from || end === undefined || end - open < 1024) continue;
    const items = blanked.slice(open + 1, end).split(",");
    if (!items.every((v) => LITERAL_VALUE.test(v.trim()))) continue;
    out += statement.slice(from, open + 1 + items[0].length);
    from = end;
  }
  return from === 0 ? statement : out + statement.slice(from);
}

/**
 * `INSERT|REPLACE ... VALUES (...), (...), ...` cut to its first row when every later row holds
 * literals only: those rows read, call and name nothing a rule or the masking looks at, and the
 * grammar library reads about 4 µs a character (a mysqldump statement of 1.5 MB: 3 s for each of the
 * judge, the lineage and the copy check, with every session waiting). The rest of the statement
 * (`ON DUPLICATE KEY UPDATE ...`) is kept. Any other statement, or a later row with anything else in
 * it (a function, a column, a sub-query), is returned as it is.
 */
export function firstLiteralRow(statement: string): string {
  if (statement.length < 4096 || !/^\s*(?:insert|replace)\b/i.test(statement)) return statement;
  const blanked = blankQuoted(statement);
  const values = /\bvalues?\s*\(/gi.exec(blanked);
  if (!values || !INSERT_HEAD.test(blanked.slice(0, values.index + values[0].length - 1))) return statement;
  const { close } = parentheses(blanked);
  let at = values.index + values[0].length - 1; // the first row's "("
  let firstEnd = -1;
  let lastEnd = -1;
  for (;;) {
    const closing = close.get(at);
    if (closing === undefined) return statement;
    const end = closing + 1;
    if (firstEnd < 0) firstEnd = end;
    else if (!literalRow(blanked.slice(at + 1, end - 1))) return statement;
    lastEnd = end;
    const next = /^\s*,\s*\(/.exec(blanked.slice(end, end + 64));
    if (!next) break;
    at = end + next[0].length - 1;
  }
  return lastEnd === firstEnd ? statement : statement.slice(0, firstEnd) + statement.slice(lastEnd);
}
