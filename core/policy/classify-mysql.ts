import { ANONYMOUS } from "./anonymous-code";
import { addEveryTableOf } from "./every-table";
import { blankClassification, sameTree, type Classification, type StatementClass } from "./classify-statement";
import { deleteHistory, identifier, KEYWORD_FORMS, schemaSynonym, serverWide, TABLE_NAME } from "./mysql-keyword-forms";
import { plainShape, splitMysql, type MysqlStatementText } from "../sql/mysql-lexer";
import { grammarForm, tableFunctionsAsSubqueries } from "../sql/mysql-grammar-form";
import { COMPOUND, wrappedForm } from "./mysql-wrapped-forms";
import { ParseAllowanceExceeded, parseMysql, TOO_DEEPLY_NESTED, withParseAllowance } from "../sql/mysql-parser";
import { withMysqlReads } from "./reads-rows";
import { addLinkedTables } from "./mysql-linked-tables";
import { loadData, partitionRowsDeleted } from "./mysql-row-effects";

type Node = Record<string, unknown>;
const DIALECTS = ["MariaDB", "MySQL"] as const;

export type MysqlStatement = MysqlStatementText & { classification: Classification };
export type MysqlAnalysis = { ok: true; statements: MysqlStatement[] } | { ok: false; error: string };

/**
 * HANDLER reads a table's rows by an index, without SQL: `HANDLER t OPEN [AS h]`, `HANDLER h READ
 * [idx] FIRST|NEXT|PREV|LAST`, `HANDLER h READ idx = (values)`, each `[WHERE ...] [LIMIT ...]`, and
 * `HANDLER h CLOSE`. OPEN names the table (a rule on reading it refuses the OPEN, so no alias reads it after).
 */
const HANDLER = new RegExp(
  `^handler\\s+(${TABLE_NAME})\\s+(?:(open)(?:\\s+(?:as\\s+)?${TABLE_NAME})?|(close)|read\\s+(?:${TABLE_NAME}\\s*(?:=|<=|>=|<|>)\\s*\\([^()]*\\)|(?:${TABLE_NAME}\\s+)?(?:first|next|prev|last))(?:\\s+where\\s+([\\s\\S]*?))?(?:\\s+limit\\s+\\d+(?:\\s*,\\s*\\d+)?)?)$`,
  "i",
);

/** A HANDLER statement: a read of its table, with what its WHERE calls (read as a SELECT's would be). */
function handlerStatement(m: RegExpExecArray): Classification | { error: string } {
  const table = identifier(m[1]);
  // OPEN and READ read its rows (a rule on reading it, by class or by SELECT, refuses the OPEN, so no alias reads it after); CLOSE does not.
  const c = { ...blankClassification("HANDLER", m[3] ? ["utility"] : ["read"]), tables: [table], runs: m[3] ? [] : ["SELECT"] };
  if (m[4] === undefined) return c;
  const where = classifyOne(`SELECT 1 FROM ${m[1]} WHERE ${m[4]}`);
  return "error" in where ? where : { ...c, functions: where.functions, tables: [...new Set([table, ...where.tables])] };
}

const STORED_PROGRAM = /^(?:create\s+(or\s+replace\s+)?(definer\s*=\s*\S+\s+)?(procedure|function|trigger|event)|alter\s+(definer\s*=\s*\S+\s+)?event)\b/i;

const BODY_STATEMENT = /\b(select|insert|update|delete|replace|drop|alter|create|truncate|grant|revoke|call|set|load)\b/gi;

const merge = (a: Classification, b: Classification): Classification => ({
  ...a,
  runs: [...new Set([...a.runs, b.kind, ...b.runs])],
  classes: [...new Set([...a.classes, ...b.classes])],
  tables: [...new Set([...a.tables, ...b.tables])],
  functions: [...new Set([...a.functions, ...b.functions])],
  writesWithoutWhere: a.writesWithoutWhere || b.writesWithoutWhere,
  copiesServerFile: a.copiesServerFile || b.copiesServerFile,
  sessionSettings: [...new Set([...a.sessionSettings, ...b.sessionSettings])],
});

const cache = new Map<string, MysqlAnalysis>();
/**
 * What PREPARE and EXECUTE IMMEDIATE run, judged: the server prepares one statement (it refuses a
 * text of several with 1064), but the classification holds what every statement of the text runs,
 * so no rule depends on that refusal.
 */
function firstOfText(text: string): Classification | { error: string } {
  const inner = analyzeMysql(text);
  if (!inner.ok) return { error: inner.error };
  const [first, ...rest] = inner.statements.map((s) => s.classification);
  return rest.reduce(merge, first ?? blankClassification("EMPTY", []));
}

/** One plain statement per shape (plainShape), for texts that differ from it only in numbers. */
const byPlainShape = new Map<string, MysqlStatement>();

/**
 * Classifies a MySQL text for the guardrail engine, statement by statement: our own lexer splits
 * it and opens executable comments (what the server runs), node-sql-parser (MariaDB grammar, then
 * MySQL's) reads each statement, and the tree is mapped to the classification Postgres statements
 * get, so the same policy documents apply. A statement neither grammar reads is an error (the
 * caller refuses the text under a policy: fail closed).
 */
export function analyzeMysql(text: string, serverVersion?: number): MysqlAnalysis {
  // A driver's statements differ in their numbers: one plain statement of a known shape is that shape's statement with its own text.
  const shape = plainShape(text);
  const shapeKey = shape === null ? "" : `${serverVersion ?? ""}:${shape}`;
  const seen = shape === null ? undefined : byPlainShape.get(shapeKey);
  if (seen) {
    const own = text.trim();
    return { ok: true, statements: [{ original: own, executable: own, shape: seen.shape, classification: seen.classification }] };
  }
  const key = `${serverVersion ?? ""}:${text}`;
  const known = cache.get(key);
  if (known) return known;
  const result = analyzeMysqlUncached(text, serverVersion);
  const only = result.ok && result.statements.length === 1 ? result.statements[0] : undefined;
  // Kept by shape only when the lexer agrees with plainShape and the classification is the shape's own
  // (not read from the literal text, not merged from a stored program's body): then it holds for every
  // text of the shape. Such texts stay out of the text cache, which they would churn.
  if (shape !== null && only && only.shape === shape && only.original === text.trim() && only.executable === only.original && only.classification === byShape.get(shape)) {
    if (byPlainShape.size >= 5000) byPlainShape.clear();
    byPlainShape.set(shapeKey, only);
    return result;
  }
  if (cache.size >= 2000) cache.clear();
  cache.set(key, result);
  return result;
}

/** The analysis without the text caches (the shape's classification is still cached): what analyzeMysql returns, computed afresh. */
export function analyzeMysqlUncached(text: string, serverVersion?: number): MysqlAnalysis {
  // One allowance of parsing for the whole text (mysql-parser.ts): past it, nothing concluded from it stands.
  const { result: analysis, exceeded } = withParseAllowance(text.length, () => analyzeUncached(text, serverVersion));
  return exceeded ? { ok: false, error: `${TOO_DEEPLY_NESTED} (in: ${text.slice(0, 80)}); simplify it, or run it where no guardrails apply` } : analysis;
}

function analyzeUncached(text: string, serverVersion?: number): MysqlAnalysis {
  const split = splitMysql(text, serverVersion);
  if (!split.ok) return split;
  const statements: MysqlStatement[] = [];
  let storedProgram: MysqlStatement | null = null;
  for (const s of split.statements) {
    const c = classifyShape(s.shape, s.executable);
    if (storedProgram) {
      // The body of a stored program holds `;`s: its pieces are judged too where they parse (stricter), never refused alone.
      storedProgram.original += `;${s.original}`;
      if (!("error" in c)) storedProgram.classification = merge(storedProgram.classification, c);
      storedProgram.classification = bodyStatements(storedProgram.classification, s.executable);
      continue;
    }
    if ("error" in c) return { ok: false, error: c.error };
    const statement = { ...s, classification: c };
    statements.push(statement);
    if (STORED_PROGRAM.test(s.executable) || COMPOUND.test(s.executable)) {
      storedProgram = statement;
      statement.classification = bodyStatements(c, s.executable);
    }
  }
  return { ok: true, statements };
}

/**
 * A piece of a stored program's or compound statement's body, judged from each statement keyword on
 * where that parses (`IF x THEN DELETE ...`, `WHILE ... DO UPDATE ...`, the body's first statement
 * after `CREATE PROCEDURE p() BEGIN`), merged into the program's classification.
 */
function bodyStatements(program: Classification, piece: string): Classification {
  let c = program;
  for (const m of piece.matchAll(BODY_STATEMENT)) {
    if (m.index === 0) continue; // the piece itself, judged by the caller
    const inner = classifyOne(piece.slice(m.index));
    if (!("error" in inner)) c = merge(c, inner);
  }
  return c;
}

const byShape = new Map<string, Classification | { error: string }>();

/** Classifies by the statement's shape (literals blanked), cached: drivers send one shape with many values. */
function classifyShape(shape: string, executable: string): Classification | { error: string } {
  let c = byShape.get(shape);
  if (c === undefined) {
    c = withMysqlReads(classifyOne(shape), shape);
    // A literal the grammar needs as it was (a DATE '...' it cannot read blank): the statement itself, uncached.
    if ("error" in c && shape !== executable) return withMysqlReads(classifyOne(executable), executable);
    if (byShape.size >= 5000) byShape.clear();
    byShape.set(shape, c);
  }
  return c;
}

function classifyOne(sql: string): Classification | { error: string } {
  // PREPARE, EXECUTE [IMMEDIATE], SET STATEMENT ... FOR, ANALYZE...: judged as the statement they run.
  const wrapped = wrappedForm(sql, classifyOne, firstOfText);
  if (wrapped) return wrapped;
  const handler = HANDLER.exec(sql);
  if (handler) return handlerStatement(handler);
  const history = deleteHistory(sql);
  if (history) return history;
  // Where the dialect that read furthest stopped: the parser's own message lists every token it
  // expected there, which tells a person nothing, so the error names the place instead.
  let stoppedAt = -1;
  let lastError = "";
  // What the grammar reads of it (`||` as OR, hints dropped...: core/sql/mysql-grammar-form.ts).
  const logical = tableFunctionsAsSubqueries(grammarForm(sql));
  for (const database of DIALECTS) {
    try {
      const parsed = parseMysql(logical, database);
      const asts = (Array.isArray(parsed.ast) ? parsed.ast : [parsed.ast]) as unknown as Node[];
      if (asts.length !== 1) return { error: "a statement the lexer could not separate" };
      const c = classifyTree(asts[0], parsed.tableList);
      // DO evaluates its expressions as a SELECT would (read as one), and returns nothing.
      return /^\s*do\b/i.test(sql) ? { ...c, kind: "DO", runs: c.runs.filter((k) => k !== "DO") } : c;
    } catch (err) {
      // Nesting deeper than the parser's recursion goes (thousands of levels): no other dialect or form reads it either.
      if (err instanceof RangeError) return { error: `the statement nests too deep for the gateway's SQL parser (in: ${sql.slice(0, 80)})` };
      if (err instanceof ParseAllowanceExceeded) return { error: err.message }; // analyzeMysql says so, for the whole text
      const at = (err as { location?: { start?: { offset?: number } } }).location?.start?.offset;
      if (typeof at === "number" && at > stoppedAt) stoppedAt = at;
      lastError = (err as Error).message;
    }
  }
  for (const [re, make] of KEYWORD_FORMS) {
    const m = re.exec(sql);
    if (m) return make(m);
  }
  if (stoppedAt < 0) return { error: `${lastError.slice(0, 200)} (in: ${sql.slice(0, 80)})` };
  const near = logical.slice(stoppedAt).trimStart().slice(0, 30);
  // The place is in the text as respelled for the grammar when it was (an engine option read as COMMENT = ''): said so, not passed off as the user's words.
  const form = logical === sql ? "" : " as the gateway respells it for its parser";
  return { error: `its SQL parser does not read this statement${form} past character ${stoppedAt + 1} (${near ? `near ${JSON.stringify(near)}` : "at its end"}; in: ${sql.slice(0, 80)})` };
}

function classifyTree(ast: Node, tableList: string[]): Classification {
  const type = String(ast.type ?? "").toLowerCase();
  const keyword = String(ast.keyword ?? "").toLowerCase();
  const c = blankClassification(kindOf(type, keyword, ast), []);
  const classes = new Set<StatementClass>(classesOf(type, keyword));
  for (const entry of tableList) {
    const [, db, table] = entry.split("::");
    if (table && table !== "null") addTable(c.tables, db === "null" ? null : db, table);
  }
  walk(ast, (node) => {
    // A parenthesised list of tables in a join (`a LEFT JOIN (b, c) ON ...`, `a JOIN (b JOIN c ON ...)`):
    // the grammar library leaves its tables out of its table list, so they are read here.
    if (Array.isArray(node.expr) && node.parentheses) for (const item of node.expr as Node[]) if (typeof item?.table === "string") addTable(c.tables, item.db, item.table);
    if (node.type === "function" || node.type === "aggr_func") {
      const name = functionName(node.name);
      if (name && !c.functions.includes(name)) c.functions.push(name);
      // LOAD_FILE reads a file on the server, as LOAD DATA without LOCAL does; MariaDB's NEXTVAL / SETVAL change the sequence they name.
      if (name === "load_file") c.copiesServerFile = true;
      if (name === "nextval" || name === "setval") {
        classes.add("write");
        const sequence = ((node.args as Node | undefined)?.value as Node[] | undefined)?.[0];
        if (sequence?.type === "column_ref" && typeof sequence.column === "string") addTable(c.tables, sequence.table, sequence.column);
      }
    }
    if (node.type === "select" && node.locking_read) classes.add("write"); // FOR UPDATE, LOCK IN SHARE MODE take row locks
    const into = node.into as Node | undefined;
    if (node.type === "select" && into && /^(outfile|dumpfile)$/i.test(String(into.keyword ?? ""))) c.copiesServerFile = true;
    if (((node.type === "update" || node.type === "delete") && !filters(node.where)) || node.type === "truncate") c.writesWithoutWhere = true; // TRUNCATE: every row, as a DELETE without WHERE
    if (node.type === "insert" || node.type === "replace" || node.type === "update" || node.type === "delete") {
      classes.add("write");
      const runs = [String(node.type).toUpperCase()];
      // An upsert updates the row it collides with; REPLACE deletes it before inserting (its DELETE triggers fire).
      if (node.type === "insert" && node.on_duplicate_update) runs.push("UPDATE");
      if (node.type === "replace") runs.push("INSERT", "DELETE");
      for (const k of runs) if (k !== c.kind && !c.runs.includes(k)) c.runs.push(k);
    }
  });
  // SHOW COLUMNS/INDEX FROM t, SHOW CREATE TABLE t, DESCRIBE t: the table the grammar library leaves out of its list.
  if (type === "show" || type === "desc")
    for (const t of [ast.table, ast.view, ...(Array.isArray(ast.from) ? ast.from : [])] as unknown[]) {
      if (typeof t === "string") addTable(c.tables, ast.db, t);
      else if (t && typeof t === "object" && typeof (t as Node).table === "string") addTable(c.tables, (t as Node).db, (t as Node).table as string);
    }
  // GRANT / REVOKE ... ON [TABLE] db.t: the table whose privileges change (the grammar library lists none).
  if ((type === "grant" || type === "revoke") && ast.on) {
    const on = ast.on as { object_type?: { value?: unknown } | null; priv_level?: Array<{ prefix?: unknown; name?: unknown }> };
    // ON TABLE names the type as `{ type: "origin", value: "TABLE" }`; ON FUNCTION / PROCEDURE are on routines, not tables.
    for (const p of on.object_type == null || String(on.object_type.value).toLowerCase() === "table" ? (on.priv_level ?? []) : []) {
      const db = typeof p.prefix === "string" && p.prefix !== "" ? p.prefix : null;
      // `db.*`: every table of the database; `*.*` and `*` (the session's database): every table.
      if (p.name === "*") addEveryTableOf(c, db ?? "*");
      else if (typeof p.name === "string") addTable(c.tables, db, p.name);
    }
  }
  if (type === "drop" && (keyword === "database" || keyword === "schema") && typeof ast.name === "string") addEveryTableOf(c, ast.name);
  if (type === "alter") partitionRowsDeleted(ast, c, classes);
  addLinkedTables(ast, c, addTable);
  // CREATE [OR REPLACE] VIEW v: the view it defines (or redefines), which the grammar library leaves out of its table list.
  if (type === "create" && ast.keyword === "view" && ast.view && typeof (ast.view as Node).view === "string") addTable(c.tables, (ast.view as Node).db, (ast.view as Node).view as string);
  if (type === "load_data") loadData(ast, c);
  if (type === "set") for (const e of (ast.expr as Node[] | undefined) ?? []) c.sessionSettings.push(settingName(e.left as Node | undefined));
  // SET PASSWORD / SET ROLE read as variables to the grammar: they change credentials and privileges.
  if (type === "set" && c.sessionSettings.some((n) => n === "password" || n === "role")) classes.add("privileges");
  if (type === "set" && setsGlobal(ast)) serverWide(c, classes);
  if (type === "use") c.sessionSettings.push("database");
  schemaSynonym(c);
  if (classes.has("anonymous-code")) for (const k of ANONYMOUS) classes.add(k);
  c.classes = [...classes];
  return c;
}

function kindOf(type: string, keyword: string, ast: Node): string {
  switch (type) {
    case "create":
    case "drop":
      return `${type.toUpperCase()} ${(keyword === "schema" ? "database" : keyword || "object").toUpperCase()}`;
    case "alter":
      return `ALTER ${(keyword === "schema" ? "database" : keyword || "table").toUpperCase()}`;
    case "truncate":
      return "TRUNCATE";
    case "rename":
      return "RENAME TABLE";
    case "load_data":
      return "LOAD DATA";
    case "lock":
      return "LOCK TABLES";
    case "unlock":
      return "UNLOCK TABLES";
    case "desc":
      return "DESCRIBE";
    case "transaction": {
      const action = String(((ast.expr as Node | undefined)?.action as Node | undefined)?.value ?? "").toLowerCase();
      return action === "commit" ? "COMMIT" : action === "rollback" ? "ROLLBACK" : "BEGIN";
    }
    default:
      return type.toUpperCase().replaceAll("_", " ");
  }
}

function classesOf(type: string, keyword: string): StatementClass[] {
  if (type === "select") return ["read"];
  if (["insert", "replace", "update", "delete", "truncate", "load_data", "lock"].includes(type)) return ["write"];
  if (type === "grant" || type === "revoke" || ((type === "create" || type === "drop" || type === "alter") && (keyword === "user" || keyword === "role"))) return ["privileges"];
  if ((type === "create" || type === "drop") && ["procedure", "function", "trigger", "event"].includes(keyword)) return ["ddl", "anonymous-code"];
  if (["create", "drop", "alter", "rename"].includes(type)) return ["ddl"];
  if (type === "call") return ["anonymous-code"];
  if (type === "transaction") return ["transaction"];
  if (type === "set" || type === "use") return ["session"];
  return ["utility"];
}

/**
 * Whether a WHERE can pick rows: it names a column somewhere. One that names none (`WHERE 1`,
 * `WHERE true`, `WHERE 1 = 1`, `WHERE ?`) is true for every row or for none, so it bounds nothing.
 */
/**
 * Whether a WHERE can leave a row out: not when it names no column (`WHERE 1 = 1`), when an OR has
 * an arm that names none (`id = 1 OR 1 = 1`), or when it compares an expression with itself (`id =
 * id`, `x <=> x`); an AND filters when any of its arms does (as on Postgres, classify-statement.ts).
 */
function filters(where: unknown): boolean {
  if (!where) return false;
  const w = where as Node;
  const op = String(w.operator ?? "").toUpperCase();
  if (w.type === "binary_expr" && (op === "OR" || op === "||")) return filters(w.left) && filters(w.right);
  if (w.type === "binary_expr" && (op === "AND" || op === "&&")) return filters(w.left) || filters(w.right);
  if (w.type === "binary_expr" && ["=", ">=", "<=", "<=>"].includes(op) && sameTree(w.left, w.right)) return false;
  let found = false;
  walk(where, (node) => (found ||= node.type === "column_ref"));
  return found;
}

const SERVER_SCOPES = /^(global|persist|persist_only)$/i;

/** SET GLOBAL / PERSIST / @@global.x: the server's configuration for every session, not this one's. */
const setsGlobal = (ast: Node) =>
  SERVER_SCOPES.test(String(ast.keyword ?? "")) ||
  ((ast.expr as Node[] | undefined) ?? []).some((e) => {
    const left = e.left as Node | undefined;
    return String(left?.prefix ?? "") === "@@" && SERVER_SCOPES.test(String(left?.name ?? "")) && ((left?.members as unknown[] | undefined)?.length ?? 0) > 0;
  });

function functionName(name: unknown): string | null {
  if (typeof name === "string") return name.toLowerCase();
  const parts = ((name as Node | undefined)?.name as Array<{ value?: string }> | undefined) ?? [];
  const joined = parts
    .map((p) => p.value)
    .filter(Boolean)
    .join(".");
  // `shop.f(1)`: the database is the grammar's `schema` (a stored function named as a built-in is called so).
  const schema = (name as Node | undefined)?.schema as { value?: string } | undefined;
  return joined ? (schema?.value ? `${schema.value}.${joined}` : joined).toLowerCase() : null;
}

function settingName(left: Node | undefined): string {
  if (!left) return "";
  const members = (left.members as string[] | undefined) ?? [];
  const name = String(left.name ?? "").toLowerCase();
  // `@@session.sql_log_bin` reads as name "session" with the member "sql_log_bin".
  if (members.length && /^(session|global|local|persist)$/.test(name)) return members.join(".").toLowerCase();
  return [String(left.prefix ?? "").startsWith("@@") || !left.prefix ? "" : String(left.prefix), name, ...members].join("").toLowerCase();
}

function addTable(tables: string[], db: unknown, table: string): void {
  const name = typeof db === "string" && db ? `${db}.${table}` : table;
  if (!tables.includes(name)) tables.push(name);
}

function walk(value: unknown, visit: (node: Node) => void): void {
  if (Array.isArray(value)) {
    for (const v of value) walk(v, visit);
    return;
  }
  if (!value || typeof value !== "object") return;
  visit(value as Node);
  for (const child of Object.values(value as Node)) if (child && typeof child === "object") walk(child, visit);
}
