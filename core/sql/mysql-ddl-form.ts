import { NAME, NAMES, blankQuoted, rewriteCode, type Replace } from "./mysql-rewrite";

/**
 * A table definition (`CREATE [OR REPLACE] [TEMPORARY] TABLE`, `ALTER [ONLINE] [IGNORE] TABLE`) or
 * `DROP TABLE` respelled into what node-sql-parser reads, for judging and column lineage only (the
 * server gets the text as sent). What a rule or the masking reads of these statements is the kind,
 * the tables, a query's columns (`CREATE TABLE ... SELECT`) and the expressions that call something
 * (defaults, generated columns, checks); none of that is touched. Respelled are what only says how a
 * value is stored, which the grammar lacks:
 *
 * - type names the server takes as synonyms (Django sends `bool` and `double precision`): `bool`,
 *   `serial`, `real`, `dec`, `fixed`, `middleint`, `character varying`, `national char`, `nchar`,
 *   `nvarchar`, `long varchar`, `long varbinary`, and MariaDB's `inet4`, `inet6` and `uuid`;
 * - column attributes: `charset x` (as `character set x`), `binary`/`ascii`/`unicode`/`byte` after a
 *   text type (a collation or character set), `invisible`, `compressed`, `with[out] system
 *   versioning`, `persistent` (as `stored`) and `ref_system_id = n`;
 * - table options of MariaDB's engines (`page_compressed`, `encrypted`, `transactional`, ...) and a
 *   table's `WITH SYSTEM VERSIONING` (it keeps old rows; reads of them are judged as reads of the table);
 * - an ALTER's `IF EXISTS` after DROP of a column, index, key, constraint or partition; a `SET DEFAULT`
 *   of a literal or a `DROP DEFAULT` beside other changes, and maintenance (`FORCE`, `DISABLE KEYS`,
 *   `DISCARD TABLESPACE`), as `ALGORITHM = DEFAULT` (an ALTER is judged by its table and what its
 *   expressions call; these name neither), and MariaDB's `ALGORITHM = NOCOPY` as `INPLACE`;
 * - MariaDB's periods: `AS ROW START` / `AS ROW END` columns, `PERIOD FOR p (s, e)`, a key's `p WITHOUT OVERLAPS`
 *   dropped, and an ALTER's `ADD PERIOD` / `DROP PERIOD` / `ADD SYSTEM VERSIONING` / `DROP SYSTEM VERSIONING` (which
 *   deletes the table's history: judged as the ALTER it is) as `ALGORITHM = DEFAULT`;
 * - `ALTER ONLINE TABLE` as `ALTER TABLE`, `DROP TABLES` as `DROP TABLE`, and `DROP TABLE ... CASCADE | RESTRICT`
 *   (words the server ignores).
 *
 * Anything else (a MERGE table's `UNION = (...)`, an engine's connection string, a default that is
 * a query) is left for the grammar, which refuses it: unreadable, so refused under a policy.
 */
export function ddlForm(statement: string): string {
  if (DROP_TABLES.test(statement)) statement = rewriteCode(statement, DROP_TABLES, (m) => `${m[1]}TABLE`);
  if (DROP_TABLE.test(statement)) return rewriteCode(statement, DROP_WORDS, "");
  if (ONLINE.test(statement)) statement = rewriteCode(statement, ONLINE, (m) => m[1]);
  const head = TABLE_DEFINITION.exec(statement);
  if (!head) return statement;
  // Only the definition: a query after it (`CREATE TABLE t (...) AS SELECT`, `... WITH cte AS`) is the grammar's as it is.
  const query = QUERY.exec(blankQuoted(statement).slice(head[0].length));
  const end = query ? head[0].length + query.index : statement.length;
  let text = statement.slice(0, end);
  for (const [test, re, replace] of REWRITES) if (test.test(text)) text = rewriteCode(text, re, replace);
  return text + statement.slice(end);
}

/** Where a CREATE TABLE's query starts (a WITH that is not `WITH SYSTEM VERSIONING` or a full-text index's `WITH PARSER`, a VALUES that is not a partition's bound). */
const QUERY = /\b(?:select|values(?!\s+(?:less\s+than|in)\b)|with(?!\s+(?:system|parser)\b|out\s+system\b)|table|like)\b/i;

const TABLE_DEFINITION = /^\s*(?:create(?:\s+or\s+replace)?(?:\s+temporary)?|alter(?:\s+online)?(?:\s+ignore)?)\s+table\b/i;
const DROP_TABLE = /^\s*drop\s+(?:temporary\s+)?tables?\b[\s\S]*\b(?:cascade|restrict)\s*$/i;
const DROP_WORDS = /\s+(?:cascade|restrict)\s*$/gi;
const DROP_TABLES = /^(\s*drop\s+(?:temporary\s+)?)tables\b/gi;
/** `ALTER ONLINE TABLE` (a request not to lock). `ALTER IGNORE TABLE` is not respelled: it deletes the rows a new unique key rejects. */
const ONLINE = /^(\s*alter)\s+online(?=\s+table\b)/gi;

/** Where a column's type starts: after its name at the start of a definition, or after ADD / MODIFY [COLUMN] name, CHANGE [COLUMN] old new. */
const COLUMN = String.raw`((?:[(,]|\b(?:add|modify|column)\b|\bchange\s+(?:column\s+)?(?:if\s+exists\s+)?${NAME})\s*(?:if\s+(?:not\s+)?exists\s+)?${NAME}\s+)`;

/** [the synonym (a pattern), the type the grammar reads]: longest spellings first. */
const TYPES: Array<[string, string]> = [
  [String.raw`(?:national\s+(?:char|character)|nchar)\s+varying|national\s+varchar|character\s+varying|char\s+varying|nvarchar`, "VARCHAR"],
  [String.raw`national\s+(?:char|character)|nchar`, "CHAR"],
  [String.raw`long\s+varbinary`, "MEDIUMBLOB"],
  [String.raw`long\s+(?:char\s+varying|varchar)|long(?!\s+varbinary)`, "MEDIUMTEXT"],
  [String.raw`double\s+precision|real`, "DOUBLE"],
  [String.raw`dec|fixed`, "DECIMAL"],
  ["bool", "BOOLEAN"],
  ["serial", "BIGINT"],
  ["middleint", "MEDIUMINT"],
  ["inet4|inet6|uuid", "VARCHAR(39)"],
];
const WHOLE_TYPES = TYPES.map(([re, type]) => [new RegExp(`^(?:${re})$`, "i"), type] as const);
const TYPE_BY_SPELLING = (spelling: string) => WHOLE_TYPES.find(([re]) => re.test(spelling))![1];

/** A text type as it is when its attributes follow (after TYPES: `VARCHAR` for `nvarchar`, say), with its character set. */
const TEXT_TYPE = String.raw`\b(?:char|varchar|character|tinytext|text|mediumtext|longtext|enum\s*\([^()]*\)|set\s*\([^()]*\))(?:\s*\(\s*\d+\s*\))?(?:\s+(?:character\s+set|charset)\s+[\w$]+)?`;

/** MariaDB's table options the grammar lacks, each `name [=] value` (a word, a number or a string). */
const ENGINE_OPTIONS =
  "page_compressed|page_compression_level|page_checksum|encrypted|encryption_key_id|ietf_quotes|transactional|sequence|stats_auto_recalc|stats_persistent|pack_keys|checksum|table_checksum|delay_key_write";

/** The partitions a maintenance form names: ALL, or names. */
const PARTITIONS = `(?:all|${NAMES})`;
/** What a REORGANIZE's INTO (...) holds: partition definitions, their values lists nested up to three deep (LIST COLUMNS of tuples). */
const BALANCED = String.raw`(?:[^()]|\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\))*`;

const REWRITES: Array<[RegExp, RegExp, Replace]> = [
  [
    /\b(?:bool|serial|real|dec|fixed|middleint|varying|national|nchar|nvarchar|long|precision|inet4|inet6|uuid)\b/i,
    new RegExp(`${COLUMN}(${TYPES.map(([re]) => re).join("|")})\\b`, "gi"),
    (m) => `${m[1]}${TYPE_BY_SPELLING(m[2])}`,
  ],
  [/\bcharset\b/i, new RegExp(`(?<=(?:\\)|\\b(?:char|varchar|tinytext|text|mediumtext|longtext))\\s+)charset\\s+(?=[\\w$'"])`, "gi"), "CHARACTER SET "],
  [/\b(?:binary|ascii|unicode|byte)\b/i, new RegExp(`(${TEXT_TYPE})\\s+(?:binary|ascii|unicode|byte)\\b`, "gi"), (m) => m[1]],
  [
    /\b(?:invisible|compressed)\b/i,
    /(?<!=\s*)\b(?:invisible|compressed(?:\s*=\s*\w+)?)(?=\s*[,)]|\s+(?:not|null|default|comment|primary|unique|key|check|references|collate|character|auto_increment|on|first|after|invisible|compressed)\b)/gi,
    "",
  ],
  [/\bsystem\s+versioning\b/i, /\bwith(?:out)?\s+system\s+versioning\b/gi, ""],
  [/\bpersistent\b/i, /(?<=\)\s*)persistent\b/gi, "STORED"],
  [/\bref_system_id\b/i, /\bref_system_id\s*=?\s*\d+/gi, ""],
  // Each as an empty COMMENT, an option the grammar reads in the same place (the commas between options stay right).
  [new RegExp(`\\b(?:${ENGINE_OPTIONS})\\b`, "i"), new RegExp(`\\b(?:${ENGINE_OPTIONS})\\s*=\\s*(?:\\w+|'\\s*'|"\\s*")`, "gi"), "COMMENT = ''"],
  [/\bif\s+exists\b/i, /\b(drop\s+(?:column|index|key|foreign\s+key|constraint|check|partition)|drop)\s+if\s+exists\b/gi, (m) => m[1]],
  [
    /\b(?:set|drop)\s+default\b[\s\S]*,|,[\s\S]*\b(?:set|drop)\s+default\b/i,
    new RegExp(
      `(?:\\balter\\s+(?:column\\s+)?${NAME}\\s+set\\s+default\\s+(?:[+-]?\\d+(?:\\.\\d+)?|'\\s*'|"\\s*"|null|true|false)|\\balter\\s+(?:column\\s+)?${NAME}\\s+drop\\s+default)(?=\\s*(?:,|$))`,
      "gi",
    ),
    "ALGORITHM = DEFAULT",
  ],
  [/\bnocopy\b/i, /\balgorithm\s*=\s*nocopy\b/gi, "ALGORITHM = INPLACE"],
  // MariaDB's periods: a system-versioned table's row start and end columns (`AS ROW START`), a period naming two of its
  // columns (`PERIOD FOR p (s, e)`), a key's `p WITHOUT OVERLAPS`; in an ALTER, adding or dropping them or versioning.
  [/\brow\s+(?:start|end)\b/i, /\b(?:generated\s+always\s+)?as\s+row\s+(?:start|end)\b/gi, ""],
  [/\bperiod\s+for\b/i, new RegExp(`,\\s*period\\s+for\\s+${NAME}\\s*\\([^()]*\\)`, "gi"), ""],
  [/\bwithout\s+overlaps\b/i, new RegExp(`\\s*,\\s*${NAME}\\s+without\\s+overlaps\\b`, "gi"), ""],
  [
    /\b(?:period|versioning)\b/i,
    new RegExp(
      `\\b(?:add\\s+(?:if\\s+not\\s+exists\\s+)?period\\s+for\\s+${NAME}\\s*\\([^()]*\\)|drop\\s+(?:if\\s+exists\\s+)?period\\s+for\\s+${NAME}|(?:add|drop)\\s+system\\s+versioning)(?=\\s*(?:,|$))`,
      "gi",
    ),
    "ALGORITHM = DEFAULT",
  ],
  [/\b(?:force|keys|tablespace)\b/i, /\b(?:force|(?:disable|enable)\s+keys|(?:discard|import)\s+tablespace)(?=\s*(?:,|$))/gi, "ALGORITHM = DEFAULT"],
  // Partition maintenance that keeps every row (rebuilt, checked, repaired, split or merged by their own values, or the
  // partitioning removed): the table's ALTER. TRUNCATE / DROP PARTITION, which delete rows, are the grammar's (classify-mysql.ts).
  [
    /\bpartition(?:s|ing)?\b/i,
    new RegExp(
      `\\b(?:remove\\s+partitioning|(?:rebuild|optimize|check|repair)\\s+partition\\s+${PARTITIONS}|(?:discard|import)\\s+partition\\s+${PARTITIONS}\\s+tablespace|reorganize\\s+partition(?:\\s+${NAMES}\\s+into\\s*\\(${BALANCED}\\))?)(?=\\s*(?:,|$))`,
      "gi",
    ),
    "ALGORITHM = DEFAULT",
  ],
  // ALTER TABLE ... ORDER BY a, b DESC: the rows stored in that order (a rebuild of the table, judged as the ALTER it is).
  [/\border\s+by\b/i, new RegExp(`\\border\\s+by\\s+${NAME}(?:\\s+(?:asc|desc))?(?:\\s*,\\s*${NAME}(?:\\s+(?:asc|desc))?)*(?=\\s*(?:,|$))`, "gi"), "ALGORITHM = DEFAULT"],
];
