import { ANONYMOUS } from "./anonymous-code";
import { addEveryTableOf } from "./every-table";
import { blankClassification, type Classification, type StatementClass } from "./classify-statement";

// The MySQL statements node-sql-parser does not read that the classifier names from their words
// (classify-mysql.ts tries them before the grammar), and the name and SET helpers they share with it.

/** A database (or other object) as a statement names it: `db` or db. */
const NAME = "(?:`(?:[^`]|``)+`|[\\w$]+)";

/** A table as a statement names it: `db`.`t`, db.t, t. */
export const TABLE_NAME = "(?:`(?:[^`]|``)+`|[\\w$]+)(?:\\.(?:`(?:[^`]|``)+`|[\\w$]+))?";

/** What a GRANT or REVOKE is on: every database (`*.*`), the session's (`*`), every table of one (`db.*`), or a table. */
const PRIVILEGE_LEVEL = `\\*(?:\\s*\\.\\s*\\*)?|${NAME}\\s*\\.\\s*\\*|${TABLE_NAME}`;

/** One item of GET DIAGNOSTICS: a variable (user or local) set to an item's name (NUMBER, ROW_COUNT, MESSAGE_TEXT...). */
const DIAGNOSTIC = "@?[\\w$]+\\s*=\\s*[a-z_]+";

/** ALTER TABLE t EXCHANGE PARTITION p WITH TABLE t2 [WITH | WITHOUT VALIDATION]: t (1) and t2 (2), as written. */
const EXCHANGE_PARTITION = new RegExp(
  `^alter\\s+(?:online\\s+)?(?:ignore\\s+)?table\\s+(${TABLE_NAME})\\s+exchange\\s+partition\\s+${NAME}\\s+with\\s+table\\s+(${TABLE_NAME})(?:\\s+with(?:out)?\\s+validation)?$`,
  "i",
);

/** The two tables whose rows an EXCHANGE PARTITION statement trades (the partitioned one first), or null for any other statement. */
export function exchangedTables(sql: string): [string, string] | null {
  const m = EXCHANGE_PARTITION.exec(sql.trim());
  return m && [identifier(m[1]), identifier(m[2])];
}

/** A table in a key-cache statement, with what may follow it (partitions, indexes, IGNORE LEAVES): no expression. */
const KEY_CACHE_OPTIONS = "(?:\\s+partition\\s*\\([^()]*\\))?(?:\\s+(?:index|key)\\s*\\([^()]*\\))?(?:\\s+ignore\\s+leaves)?";
const KEY_CACHE_TABLE = `${TABLE_NAME}${KEY_CACHE_OPTIONS}`;

// A literal (number, string, hex, NULL, TRUE/FALSE): nothing that reads or calls (a column's default in a migration).
const LITERAL = `(?:[-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:e[-+]?\\d+)?|0x[0-9a-f]+|x'[0-9a-f]*'|'(?:[^'\\\\]|\\\\.|'')*'|"(?:[^"\\\\]|\\\\.|"")*"|null|true|false)`;

/**
 * Statements node-sql-parser does not read that can be named from their first words without
 * missing what they touch: none of them names a table. (Stored programs are anonymous code, in
 * every strict class, whatever their body says.) Anything else it cannot read is unparseable.
 */
export const KEYWORD_FORMS: Array<[RegExp, (m: RegExpExecArray) => Classification]> = [
  [/^set\s+(names|character\s+set|charset)\b[\w\s'"`=@.,-]*$/i, () => ({ ...blankClassification("SET", ["session"]), sessionSettings: ["names"] })],
  [/^set\s+((session|global|local)\s+)?transaction\s+[\w\s,-]+$/i, () => ({ ...blankClassification("SET", ["session"]), sessionSettings: ["transaction"] })],
  // Assignments of variables, names and literals only: no parenthesis, so no function call and no subquery.
  [/^set\s+(?!(password|role|default\s+role|statement)\b)(?!.*\bselect\b)[^();]*$/is, (m) => plainSet(m[0])],
  [/^start\s+transaction\b[\w\s,]*$/i, () => blankClassification("BEGIN", ["transaction"])],
  // SHOW COLUMNS / INDEX FROM t [FROM db] [LIKE 'x' | WHERE ...], SHOW CREATE TABLE / VIEW t: the table, in db when named so.
  // A WHERE without parentheses (no subquery, which would read other tables, and no function call).
  [
    new RegExp(
      `^show\\s+(?:full\\s+)?(?:fields|columns|index|indexes|keys)\\s+(?:from|in)\\s+(${TABLE_NAME})(?:\\s+(?:from|in)\\s+(${NAME}))?(?:\\s+like\\s+'(?:[^'\\\\]|\\\\.|'')*'|\\s+where\\s+[^()]*)?$`,
      "is",
    ),
    (m) => {
      const table = identifier(m[1]);
      // FROM db names the database (for a qualified table too: the server takes db's).
      return { ...blankClassification("SHOW", ["utility"]), tables: [m[2] ? `${identifier(m[2])}.${table.slice(table.lastIndexOf(".") + 1)}` : table] };
    },
  ],
  [new RegExp(`^show\\s+create\\s+(?:table|view)\\s+(${TABLE_NAME})$`, "i"), (m) => ({ ...blankClassification("SHOW", ["utility"]), tables: [identifier(m[1])] })],
  [/^show\s+(?!.*\b(from|in)\b)[\w\s]+(\s+(like|where)\s+[^()]*)?$/is, () => blankClassification("SHOW", ["utility"])],
  [/^show\s+(?:full\s+)?tables\b[^()]*$/i, () => blankClassification("SHOW", ["utility"])],
  [/^show\s+(?:function|procedure|package(?:\s+body)?|table|event)\s+status\b[^()]*$/i, () => blankClassification("SHOW", ["utility"])],
  // SHOW CREATE of a database, routine, event, trigger, user... (mysqldump --routines quotes the name): names only.
  [/^show\s+create\s+(?:database|schema|procedure|function|event|trigger|user|role|package(?:\s+body)?|sequence)\s+[^();]+$/i, () => blankClassification("SHOW", ["utility"])],
  [
    /^alter\s+(?:online\s+|ignore\s+)*table\s+(`(?:[^`]|``)+`(?:\.`(?:[^`]|``)+`)?|[\w$.]+)\s+(?:disable|enable)\s+keys$/i,
    (m) => ({ ...blankClassification("ALTER TABLE", ["ddl"]), tables: [identifier(m[1])] }),
  ],
  // A migration's change of a table's character set (the grammar does not read CONVERT TO).
  [
    new RegExp(`^alter\\s+(?:online\\s+|ignore\\s+)*table\\s+(${TABLE_NAME})\\s+convert\\s+to\\s+(?:character\\s+set|charset)\\s+[\\w$]+(?:\\s+collate\\s+[\\w$]+)?$`, "i"),
    (m) => ({ ...blankClassification("ALTER TABLE", ["ddl"]), tables: [identifier(m[1])] }),
  ],
  // Migrations' ALTER COLUMN ... SET / DROP DEFAULT (Django's) and RENAME INDEX: a literal default at most.
  [
    new RegExp(
      `^alter\\s+(?:online\\s+|ignore\\s+)*table\\s+(${TABLE_NAME})\\s+(?:alter\\s+(?:column\\s+)?${NAME}\\s+(?:drop\\s+default|set\\s+default\\s+(?:${LITERAL}))|rename\\s+(?:index|key)\\s+${NAME}\\s+to\\s+${NAME})$`,
      "i",
    ),
    (m) => ({ ...blankClassification("ALTER TABLE", ["ddl"]), tables: [identifier(m[1])] }),
  ],
  // MariaDB's sequences (a sequence is a table): CREATE / ALTER SEQUENCE with their numeric options.
  [
    new RegExp(`^(create(?:\\s+or\\s+replace)?|alter)\\s+(?:temporary\\s+)?sequence\\s+(?:if\\s+(?:not\\s+)?exists\\s+)?(${TABLE_NAME})(?:\\s+[\\w\\s=+-]*)?$`, "i"),
    (m) => ({ ...blankClassification(`${m[1].split(/\s/)[0].toUpperCase()} SEQUENCE`, ["ddl"]), tables: [identifier(m[2])] }),
  ],
  [/^kill\s+(query\s+|connection\s+)?\d+$/i, () => blankClassification("KILL", ["utility"])],
  [/^(deallocate|drop)\s+prepare\s+`?\w+`?$/i, () => blankClassification("DEALLOCATE", ["utility"])],
  [/^(savepoint|release\s+savepoint|rollback\s+(work\s+)?to\s+(savepoint\s+)?)\s*`?\w+`?$/i, (m) => blankClassification(m[1].split(/\s/)[0].toUpperCase(), ["transaction"])],
  // A trigger names the table it is on (a rule on that table meets it); its body is judged too (classify-mysql.ts).
  [
    new RegExp(
      `^create\\s+(?:or\\s+replace\\s+)?(?:definer\\s*=\\s*\\S+\\s+)?trigger\\s+(?:if\\s+not\\s+exists\\s+)?${TABLE_NAME}\\s+(?:before|after)\\s+(?:insert|update|delete)(?:\\s+or\\s+(?:insert|update|delete))*\\s+on\\s+(${TABLE_NAME})(?![\\w$.\\x60])`,
      "i",
    ),
    (m) => ({ ...blankClassification("CREATE TRIGGER", ["ddl", ...ANONYMOUS]), tables: [identifier(m[1])] }),
  ],
  [/^create\s+(or\s+replace\s+)?(definer\s*=\s*\S+\s+)?(procedure|function|trigger|event)\b/i, (m) => blankClassification(`CREATE ${m[3].toUpperCase()}`, ["ddl", ...ANONYMOUS])],
  // FLUSH TABLES t [WITH READ LOCK | FOR EXPORT]: the tables it locks (FOR EXPORT leaves their files ready to copy).
  [
    new RegExp(`^flush\\s+(?:(?:no_write_to_binlog|local)\\s+)?tables?\\s+(${TABLE_NAME}(?:\\s*,\\s*${TABLE_NAME})*)(?:\\s+(?:with\\s+read\\s+lock|for\\s+export))?$`, "i"),
    (m) => ({ ...blankClassification("FLUSH", ["utility"]), tables: [...m[1].matchAll(new RegExp(TABLE_NAME, "g"))].map((t) => identifier(t[0])) }),
  ],
  [/^flush\b/i, () => blankClassification("FLUSH", ["utility"])],
  // Table maintenance (as VACUUM, CLUSTER and REINDEX are on Postgres): the tables it names.
  [
    new RegExp(`^(analyze|optimize|check|repair|checksum)\\s+(?:(?:no_write_to_binlog|local)\\s+)?tables?\\s+(${TABLE_NAME}(?:\\s*,\\s*${TABLE_NAME})*)(?:\\s+[\\w\\s]*)?$`, "i"),
    (m) => ({ ...blankClassification(`${m[1].toUpperCase()} TABLE`, ["utility"]), tables: [...m[2].matchAll(new RegExp(TABLE_NAME, "g"))].map((t) => identifier(t[0])) }),
  ],
  [/^xa\s+(start|begin|end|prepare|commit|rollback|recover)\b[^();]*$/i, () => blankClassification("XA", ["transaction"])],
  // GET [CURRENT | STACKED] DIAGNOSTICS [CONDITION n] @a = NUMBER, ...: the last statement's diagnostics into variables (a SET of them).
  [
    new RegExp(`^get\\s+(?:current\\s+|stacked\\s+)?diagnostics\\s+(?:condition\\s+(?:\\d+|@?[\\w$]+)\\s+)?(${DIAGNOSTIC}(?:\\s*,\\s*${DIAGNOSTIC})*)$`, "i"),
    (m) => ({ ...blankClassification("GET DIAGNOSTICS", ["session"]), sessionSettings: [...m[1].matchAll(/(@?[\w$]+)\s*=/g)].map((v) => v[1].toLowerCase()) }),
  ],
  // COMMIT / ROLLBACK with their optional words (`ROLLBACK WORK`, `COMMIT AND CHAIN`, `NO RELEASE`).
  [/^(commit|rollback)(?:\s+work)?(?:\s+and\s+(?:no\s+)?chain)?(?:\s+(?:no\s+)?release)?$/i, (m) => blankClassification(m[1].toUpperCase(), ["transaction"])],
  // Accounts and roles the grammar does not read (CREATE USER ... IDENTIFIED BY, CREATE ROLE, GRANT role TO user): names and a password.
  [/^create\s+(?:or\s+replace\s+)?(user|role)\b(?!.*\bselect\b)[^;]*$/is, (m) => blankClassification(`CREATE ${m[1].toUpperCase()}`, ["privileges"])],
  [/^grant\s+(?!.*\bon\b)(?!.*\bselect\b)[^;()]*\bto\b[^;()]*$/is, () => blankClassification("GRANT", ["privileges"])],
  // GRANT / REVOKE of privileges on an object, with what the grammar lacks (USAGE, CREATE USER, REPLICATION SLAVE, ALL
  // PRIVILEGES, IDENTIFIED BY, REQUIRE SSL, WITH MAX_...): names, words and a password, no parenthesis. The table it names.
  [
    new RegExp(`^(grant|revoke)\\s+([^;()]+?)\\s+on\\s+(?:(table|function|procedure|package(?:\\s+body)?)\\s+)?(${PRIVILEGE_LEVEL})\\s+(?:to|from)\\s+[^;()]*$`, "is"),
    // USAGE alone is no privilege (an account with none): it touches no table.
    (m) => privilegesOn(blankClassification(m[1].toUpperCase(), ["privileges"]), (m[3] ?? "table").toLowerCase() === "table" && !/^usage$/i.test(m[2]) ? m[4] : undefined),
  ],
  // ALTER EVENT may give the event a new body: anonymous code, as CREATE EVENT (classify-mysql.ts reads the body too).
  [/^alter\s+(?:definer\s*=\s*\S+\s+)?event\b/i, () => blankClassification("ALTER EVENT", ANONYMOUS)],
  // Deleting the server's binary logs (replication and point-in-time recovery read them): server-wide, as SET GLOBAL.
  [/^purge\s+(?:binary|master)\s+logs\s+(?:to|before)\b[^;]*$/i, () => blankClassification("PURGE BINARY LOGS", ["ddl"])],
  // The grammar reads DROP DATABASE only with a bare name, and not ALTER DATABASE at all (mysqladmin and mysqldump
  // --add-drop-database quote the name). SCHEMA is MySQL's synonym: judged as DATABASE, as classify-mysql.ts names it.
  [new RegExp(`^drop\\s+(?:database|schema)\\s+(?:if\\s+exists\\s+)?(${NAME})$`, "i"), (m) => addEveryTableOf(schemaSynonym(blankClassification("DROP DATABASE", ["ddl"])), identifier(m[1]))],
  [new RegExp(`^alter\\s+(?:database|schema)\\b(?:\\s+${NAME})?\\s+[^();]+$`, "i"), () => schemaSynonym(blankClassification("ALTER DATABASE", ["ddl"]))],
  // DROP of what the grammar does not read (mysqldump --routines writes DROP PROCEDURE IF EXISTS): names only, nothing runs.
  [
    /^drop\s+(procedure|function|event|sequence|server|package(?:\s+body)?|tablespace|user|role)\s+(?:if\s+exists\s+)?[^();]+$/i,
    (m) => {
      const what = m[1].toLowerCase().replace(/\s+/g, " ");
      const classes: StatementClass[] = what === "user" || what === "role" ? ["privileges"] : ["procedure", "function", "event"].includes(what) ? ["ddl", "anonymous-code"] : ["ddl"];
      return blankClassification(`DROP ${what.toUpperCase()}`, classes);
    },
  ],
  // SHOW ... FROM a database (not a table): what the database holds, by name.
  [
    /^show\s+(?:open\s+tables|events|triggers|(?:full\s+)?tables|table\s+status)\s+(?:from|in)\s+(?:`(?:[^`]|``)+`|[\w$]+)(?:\s+(?:like|where)\s+[^()]*)?$/i,
    () => blankClassification("SHOW", ["utility"]),
  ],
  [/^show\s+grants(?:\s+for\s+current_user(?:\s*\(\s*\))?)?$/i, () => blankClassification("SHOW", ["utility"])],
  // DESCRIBE of a qualified table (the grammar reads only a bare name), and EXPLAIN <table>, its synonym.
  [
    new RegExp(`^(?:describe|desc|explain)\\s+(${TABLE_NAME})(?:\\s+(?:[\\w$]+|\\x60(?:[^\\x60]|\\x60\\x60)+\\x60|'(?:[^'\\\\]|\\\\.|'')*'))?$`, "i"),
    (m) => ({ ...blankClassification("DESCRIBE", ["utility"]), tables: [identifier(m[1])] }),
  ],
  // Accounts: ALTER / RENAME USER, REVOKE, SET PASSWORD FOR, SET [DEFAULT] ROLE. Their grammar has no expressions that read data;
  // REVOKE names the table it revokes on.
  [/^(?:alter|rename)\s+user\b[^;]*$/i, (m) => blankClassification(`${m[0].split(/\s+/)[0].toUpperCase()} USER`, ["privileges"])],
  [new RegExp(`^revoke\\s[^;]*?(?:\\son\\s+(?:table\\s+)?(${PRIVILEGE_LEVEL}))?(?:\\s+from\\s[^;]*)?$`, "i"), (m) => privilegesOn(blankClassification("REVOKE", ["privileges"]), m[1])],
  [/^set\s+(?:password\s+for\s|role\s|default\s+role\s)(?!.*\bselect\b)[^;]*$/is, () => blankClassification("SET", ["session", "privileges"])],
  [
    new RegExp(`^drop\\s+temporary\\s+table\\s+(?:if\\s+exists\\s+)?(${TABLE_NAME}(?:\\s*,\\s*${TABLE_NAME})*)$`, "i"),
    (m) => ({ ...blankClassification("DROP TABLE", ["ddl"]), tables: [...m[1].matchAll(new RegExp(TABLE_NAME, "g"))].map((t) => identifier(t[0])) }),
  ],
  // Stopping the server, and loading server code (a plugin: as LOAD of a library on Postgres, anonymous code).
  [/^shutdown(?:\s+wait\s+for\s+all\s+(?:slaves|replicas))?$/i, () => blankClassification("SHUTDOWN", ["ddl"])],
  [/^install\s+(plugin|soname)\b[^();]*$/i, (m) => blankClassification(`INSTALL ${m[1].toUpperCase()}`, ANONYMOUS)],
  [/^uninstall\s+(plugin|soname)\b[^();]*$/i, (m) => blankClassification(`UNINSTALL ${m[1].toUpperCase()}`, ["ddl"])],
  // ALTER TABLE t EXCHANGE PARTITION p WITH TABLE t2: the partition's rows and t2's trade places (no trigger fires), every
  // row of both rewritten: a write of both tables without a WHERE.
  [EXCHANGE_PARTITION, (m) => ({ ...blankClassification("ALTER TABLE", ["ddl", "write"]), tables: [identifier(m[1]), identifier(m[2])], writesWithoutWhere: true })],
  // MyISAM's key caches: LOAD INDEX INTO CACHE t [PARTITION (...)] [INDEX (...)] [IGNORE LEAVES], ... and CACHE INDEX t [...], ... IN c.
  [
    new RegExp(`^(load\\s+index\\s+into\\s+cache|cache\\s+index)\\s+(${KEY_CACHE_TABLE}(?:\\s*,\\s*${KEY_CACHE_TABLE})*)(?:\\s+in\\s+${NAME})?$`, "i"),
    (m) => ({
      ...blankClassification(/^load/i.test(m[1]) ? "LOAD INDEX" : "CACHE INDEX", ["utility"]),
      tables: [...m[2].matchAll(new RegExp(`(${TABLE_NAME})${KEY_CACHE_OPTIONS}`, "gi"))].map((t) => identifier(t[1])),
    }),
  ],
  [/^show\s+count\s*\(\s*\*\s*\)\s+(?:warnings|errors)$/i, () => blankClassification("SHOW", ["utility"])],
  // RESET QUERY CACHE empties a cache; RESET MASTER / BINARY LOGS AND GTIDS / REPLICA deletes the binary logs or the replica's
  // state, as PURGE BINARY LOGS; RESET PERSIST removes persisted global settings (server-wide, as SET GLOBAL).
  [/^reset\s+query\s+cache$/i, () => blankClassification("RESET", ["utility"])],
  [/^reset\s+(?:master|binary\s+logs\s+and\s+gtids|slave|replica)\b[^();]*$/i, () => blankClassification("RESET", ["ddl"])],
  [/^reset\s+persist\b[^();]*$/i, () => serverWideOf(blankClassification("RESET PERSIST", ["ddl"]))],
  // The server's own keys and redo log, and CLONE: a copy of every table into a server folder (LOCAL DATA DIRECTORY), or this
  // server's data replaced by another's (INSTANCE FROM). IMPORT TABLE creates tables from files on the server.
  [/^alter\s+instance\b[^();]*$/i, () => blankClassification("ALTER INSTANCE", ["ddl"])],
  [/^clone\s+local\s+data\s+directory\b[^();]*$/i, () => addEveryTableOf({ ...blankClassification("CLONE", ["ddl"]), copiesServerFile: true }, "*")],
  [/^clone\s+instance\s+from\b[^();]*$/i, () => addEveryTableOf(blankClassification("CLONE", ["ddl"]), "*")],
  [/^import\s+table\s+from\s[^();]*$/i, () => ({ ...blankClassification("IMPORT TABLE", ["ddl"]), copiesServerFile: true })],
  // SIGNAL / RESIGNAL outside a program: raises the condition it names (an error or warning), nothing else.
  [/^(?:re)?signal\b(?!.*\bselect\b)[^();]*$/is, (m) => blankClassification(m[0].trimStart().slice(0, 2).toLowerCase() === "re" ? "RESIGNAL" : "SIGNAL", ["utility"])],
  // HELP 'topic': the server's help tables, read.
  [/^help\s+(?:'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"|[\w\s.-]+)$/i, () => blankClassification("HELP", ["utility"])],
  // LOAD XML writes rows into its table as LOAD DATA does (REPLACE deletes the rows it collides with; without LOCAL the file is the
  // server's). Read when nothing in it calls a function (a plain column list at most).
  [
    new RegExp(
      `^load\\s+xml\\s+(?:(?:low_priority|concurrent)\\s+)?(local\\s+)?infile\\s+(?:'(?:[^'\\\\]|\\\\.|'')*'|"(?:[^"\\\\]|\\\\.|"")*")\\s+(?:(replace|ignore)\\s+)?into\\s+table\\s+(${TABLE_NAME})(?![\\w$.\\x60])[^();]*(?:\\([\\w$\\s,@\\x60]*\\)[^();]*)?$`,
      "i",
    ),
    (m) => ({
      ...blankClassification("LOAD XML", ["write"]),
      tables: [identifier(m[3])],
      runs: m[2]?.toLowerCase() === "replace" ? ["INSERT", "DELETE"] : ["INSERT"],
      copiesServerFile: !m[1],
    }),
  ],
];

const DELETE_HISTORY = new RegExp(`^delete\\s+history\\s+from\\s+(${TABLE_NAME})(\\s+before\\s+system_time\\s+[\\w\\s'.:+-]*(?:(?:now|current_timestamp)\\s*\\(\\s*\\)[\\w\\s'.:+-]*)?)?$`, "i");

/**
 * MariaDB's DELETE HISTORY removes a system-versioned table's past rows: a DELETE of it, of every
 * past row without BEFORE. Read before the grammar, which takes `history` for the name of a
 * multi-table DELETE's target. Null for any other statement.
 */
export function deleteHistory(sql: string): Classification | null {
  const m = DELETE_HISTORY.exec(sql);
  return m && { ...blankClassification("DELETE HISTORY", ["write"]), tables: [identifier(m[1])], runs: ["DELETE"], writesWithoutWhere: !m[2] };
}

/** `db`.`t` or db.t as the policy names tables. */
export const identifier = (raw: string) =>
  raw
    .split(/\.(?=`|[^`]*$)/)
    .map((p) => p.replace(/^`|`$/g, "").replaceAll("``", "`"))
    .join(".");

/** A SET of variables, names and literals the grammar does not read (`SET SESSION a = 1, GLOBAL b = 2`). */
function plainSet(text: string): Classification {
  const c = { ...blankClassification("SET", ["session"]), sessionSettings: settingNames(text) };
  // Outside quotes, a GLOBAL / PERSIST scope or an @@global. name.
  const bare = text.replace(/'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"/g, "''");
  return /(^|[\s,])(global|persist|persist_only)\s|@@(global|persist|persist_only)\./i.test(bare) ? serverWideOf(c) : c;
}

/** The settings a plain SET assigns: `@@session.x`, `x`, `@user_var`. */
const settingNames = (text: string) =>
  [...text.matchAll(/(@@(?:session\.|global\.|local\.)?[\w.]+|@\w+|\b\w+)\s*:?=/gi)].map((m) => m[1].replace(/^@@(session\.|global\.|local\.)?/i, "").toLowerCase());

/**
 * A SET of the server's global settings changes every session's server (general_log_file,
 * read_only...), as ALTER SYSTEM does on Postgres: it is ddl too, and runs a SET GLOBAL.
 */
export function serverWide(c: Classification, classes: Set<StatementClass>): void {
  classes.add("ddl");
  if (!c.runs.includes("SET GLOBAL")) c.runs.push("SET GLOBAL");
}

/** A classification made server-wide (serverWide) on its own classes. */
function serverWideOf(c: Classification): Classification {
  const classes = new Set(c.classes);
  serverWide(c, classes);
  c.classes = [...classes];
  return c;
}

/** CREATE, DROP and ALTER DATABASE also run as their SCHEMA synonym, so a rule naming either catches both spellings. */
export function schemaSynonym(c: Classification): Classification {
  const m = /^(CREATE|DROP|ALTER) DATABASE$/.exec(c.kind);
  if (m && !c.runs.includes(`${m[1]} SCHEMA`)) c.runs.push(`${m[1]} SCHEMA`);
  return c;
}

/**
 * A GRANT or REVOKE on what its level names (as the statement writes it): the table, or every table of
 * a database (`db.*`); `*` every database, and the session's (`ON *`), which the classification does not know.
 */
function privilegesOn(c: Classification, level: string | undefined): Classification {
  if (level === undefined) return c;
  const m = /^(.*?)\s*\.\s*\*$/s.exec(level);
  if (level === "*" || m?.[1] === "*") return addEveryTableOf(c, "*");
  if (m) return addEveryTableOf(c, identifier(m[1]));
  return { ...c, tables: [identifier(level)] };
}
