import { loadModule, parseSync } from "libpg-query";
import { scannerCostTooHigh } from "./scanner-cost";

/** One top-level statement of a query text, as the real PostgreSQL parser sees it. */
export type ParsedStatement = {
  text: string;
  start: number;
  end: number;
  kind: string;
  node: string;
  /** The parse tree. Numeric literal values in data statements may be zeroed (see cacheKey): never decide on them. */
  tree: Record<string, unknown>;
};
export type Analysis = { ok: true; statements: ParsedStatement[] } | { ok: false; error: string };

let ready: Promise<void> | undefined;
/** Loads the parser (WASM) once per process. */
export const loadSqlParser = () => (ready ??= loadModule());

// Names for the parse-tree node types whose generic name reads badly.
const KIND_NAMES: Record<string, string> = {
  SelectStmt: "SELECT",
  InsertStmt: "INSERT",
  UpdateStmt: "UPDATE",
  DeleteStmt: "DELETE",
  MergeStmt: "MERGE",
  CreateStmt: "CREATE TABLE",
  CreateTableAsStmt: "CREATE TABLE AS",
  ViewStmt: "CREATE VIEW",
  IndexStmt: "CREATE INDEX",
  CreateFunctionStmt: "CREATE FUNCTION",
  CreateSchemaStmt: "CREATE SCHEMA",
  CreateRoleStmt: "CREATE ROLE",
  CreatedbStmt: "CREATE DATABASE",
  DropdbStmt: "DROP DATABASE",
  DropRoleStmt: "DROP ROLE",
  TruncateStmt: "TRUNCATE",
  AlterTableStmt: "ALTER TABLE",
  GrantStmt: "GRANT",
  GrantRoleStmt: "GRANT ROLE",
  CopyStmt: "COPY",
  VariableSetStmt: "SET",
  VariableShowStmt: "SHOW",
  ExplainStmt: "EXPLAIN",
  PrepareStmt: "PREPARE",
  ExecuteStmt: "EXECUTE",
  DeallocateStmt: "DEALLOCATE",
  DoStmt: "DO",
  ListenStmt: "LISTEN",
  UnlistenStmt: "UNLISTEN",
  NotifyStmt: "NOTIFY",
  DeclareCursorStmt: "DECLARE CURSOR",
  FetchStmt: "FETCH",
  ClosePortalStmt: "CLOSE",
  VacuumStmt: "VACUUM",
  LockStmt: "LOCK",
  CallStmt: "CALL",
  DiscardStmt: "DISCARD",
  RenameStmt: "RENAME",
  // PostgreSQL's command tags where the node's name abbreviates them: a rule names what psql prints.
  CreateTrigStmt: "CREATE TRIGGER",
  CreateEventTrigStmt: "CREATE EVENT TRIGGER",
  AlterEventTrigStmt: "ALTER EVENT TRIGGER",
  CreateSeqStmt: "CREATE SEQUENCE",
  AlterSeqStmt: "ALTER SEQUENCE",
  CreateStatsStmt: "CREATE STATISTICS",
  AlterStatsStmt: "ALTER STATISTICS",
  RefreshMatViewStmt: "REFRESH MATERIALIZED VIEW",
  RuleStmt: "CREATE RULE",
  SecLabelStmt: "SECURITY LABEL",
  CheckPointStmt: "CHECKPOINT",
  CreatePLangStmt: "CREATE LANGUAGE",
  CreateFdwStmt: "CREATE FOREIGN DATA WRAPPER",
  AlterFdwStmt: "ALTER FOREIGN DATA WRAPPER",
  CreateForeignServerStmt: "CREATE SERVER",
  AlterForeignServerStmt: "ALTER SERVER",
  CreateOpClassStmt: "CREATE OPERATOR CLASS",
  CreateOpFamilyStmt: "CREATE OPERATOR FAMILY",
  AlterOpFamilyStmt: "ALTER OPERATOR FAMILY",
  CreateTableSpaceStmt: "CREATE TABLESPACE",
  DropTableSpaceStmt: "DROP TABLESPACE",
  AlterTableSpaceOptionsStmt: "ALTER TABLESPACE",
  AlterTableMoveAllStmt: "ALTER TABLE",
  CompositeTypeStmt: "CREATE TYPE",
  CreateEnumStmt: "CREATE TYPE",
  CreateRangeStmt: "CREATE TYPE",
  AlterEnumStmt: "ALTER TYPE",
  AlterDatabaseSetStmt: "ALTER DATABASE",
  AlterDatabaseRefreshCollStmt: "ALTER DATABASE",
  AlterRoleSetStmt: "ALTER ROLE",
  AlterTSConfigurationStmt: "ALTER TEXT SEARCH CONFIGURATION",
  AlterTSDictionaryStmt: "ALTER TEXT SEARCH DICTIONARY",
};

/** Object types as PostgreSQL's command tags name them, where OBJECT_x does not (DROP MATERIALIZED VIEW, ALTER SERVER...). */
const OBJECT_NAMES: Record<string, string> = {
  OBJECT_MATVIEW: "MATERIALIZED VIEW",
  OBJECT_FDW: "FOREIGN DATA WRAPPER",
  OBJECT_FOREIGN_SERVER: "SERVER",
  OBJECT_OPCLASS: "OPERATOR CLASS",
  OBJECT_OPFAMILY: "OPERATOR FAMILY",
  OBJECT_STATISTIC_EXT: "STATISTICS",
  OBJECT_TSCONFIGURATION: "TEXT SEARCH CONFIGURATION",
  OBJECT_TSDICTIONARY: "TEXT SEARCH DICTIONARY",
  OBJECT_TSPARSER: "TEXT SEARCH PARSER",
  OBJECT_TSTEMPLATE: "TEXT SEARCH TEMPLATE",
  OBJECT_LARGEOBJECT: "LARGE OBJECT",
  OBJECT_TABCONSTRAINT: "TABLE",
  OBJECT_COLUMN: "TABLE",
  OBJECT_ATTRIBUTE: "TYPE",
  OBJECT_DOMCONSTRAINT: "DOMAIN",
};

/** An object type's name in a command tag (`OBJECT_FOREIGN_TABLE`: FOREIGN TABLE). */
export const objectName = (type: unknown): string =>
  OBJECT_NAMES[String(type)] ??
  String(type ?? "OBJECT")
    .replace(/^OBJECT_/, "")
    .replace(/_/g, " ");
const TRANSACTION_KINDS: Record<string, string> = {
  TRANS_STMT_BEGIN: "BEGIN",
  TRANS_STMT_START: "BEGIN",
  TRANS_STMT_COMMIT: "COMMIT",
  TRANS_STMT_ROLLBACK: "ROLLBACK",
  TRANS_STMT_SAVEPOINT: "SAVEPOINT",
  TRANS_STMT_RELEASE: "RELEASE",
  TRANS_STMT_ROLLBACK_TO: "ROLLBACK TO SAVEPOINT",
  TRANS_STMT_PREPARE: "PREPARE TRANSACTION",
  TRANS_STMT_COMMIT_PREPARED: "COMMIT PREPARED",
  TRANS_STMT_ROLLBACK_PREPARED: "ROLLBACK PREPARED",
};

/** The statement kind psql would name in its command tag (DROP TABLE, INSERT, EXPLAIN ANALYZE...). */
export function kindOf(node: string, body: Record<string, any>): string {
  if (node === "TransactionStmt") return TRANSACTION_KINDS[body.kind] ?? "TRANSACTION";
  if (node === "DropStmt") return `DROP ${objectName(body.removeType)}`;
  // CREATE AGGREGATE, OPERATOR, TYPE, COLLATION, TEXT SEARCH ...: one node for all of them.
  if (node === "DefineStmt" && body.kind) return `CREATE ${objectName(body.kind)}`;
  if (node === "ExplainStmt" && (body.options ?? []).some((o: any) => o?.DefElem?.defname === "analyze")) return "EXPLAIN ANALYZE";
  return (
    KIND_NAMES[node] ??
    node
      .replace(/Stmt$/, "")
      .replace(/([a-z])([A-Z])/g, "$1 $2")
      .toUpperCase()
  );
}

// Texts made only of identifiers, operators, whitespace and numbers: no quotes, dollar signs,
// comments or backslashes, so a digit run can only be a number literal or part of an identifier.
// What cacheKey allows, by character code below 128: 1 an operator, punctuation or a space, 2 a
// letter or `_`, 3 a digit (0: anything else, the text is keyed as it is).
const PLAIN = new Uint8Array(128);
for (const c of " \t\n\v\f\r.,;:()=<>!+*%|&^~@#[]-") PLAIN[c.charCodeAt(0)] = 1;
for (let c = 65; c <= 90; c++) PLAIN[c] = PLAIN[c + 32] = 2;
PLAIN[95] = 2; // _
for (let c = 48; c <= 57; c++) PLAIN[c] = 3;
// The other characters a regular expression's \s matches (a text may separate words with them).
const OTHER_SPACE = /[\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/;
// Only data statements: in SET, ALTER... a number is a setting's value, and values can matter to policy.
const DATA_STATEMENT = /^\s*(select|insert|update|delete|with|values|table)\b/i;
const ZEROS = "0".repeat(64);
const zeros = (n: number) => (n <= ZEROS.length ? ZEROS.slice(0, n) : "0".repeat(n));
const isWord = (c: number) => c < 128 && PLAIN[c] >= 2;
const isDigit = (c: number) => c >= 48 && c <= 57;

/**
 * The cache key of a text: numeric literals zeroed digit for digit (same length, so the parser's
 * offsets still fit the original) when the text is plain enough for that to be unambiguous. The
 * value of a number changes neither the statement's kind nor what it touches, and this turns
 * pgbench-style texts that differ only in their literals into one cache entry. Anything with a quote,
 * a comment or a dollar sign is keyed by its exact text.
 *
 * A number is a run of digits, with a fraction (`.` and digits) or not, that neither follows nor is
 * followed by a letter, digit or `_`: a digit run that ends a name (`t1`) is left alone. One pass over
 * the text (it runs for every statement the gateway audits; the regular expression's replace with a
 * callback was most of its cost).
 */
export function cacheKey(text: string): string {
  // The guard, the analyzer and the masking ask for the same text in turn: the last key is kept.
  if (text === lastKeyed.text) return lastKeyed.key;
  const key = keyOf(text);
  lastKeyed.text = text;
  lastKeyed.key = key;
  return key;
}
const lastKeyed = { text: "", key: "" };

function keyOf(text: string): string {
  if (text.length > 4096 || !DATA_STATEMENT.test(text)) return text;
  let out = "";
  let copied = 0;
  const n = text.length;
  for (let i = 0; i < n;) {
    const c = text.charCodeAt(i);
    const cls = c < 128 ? PLAIN[c] : OTHER_SPACE.test(text[i]) ? 1 : 0;
    if (cls === 0 || (c === 45 && text.charCodeAt(i + 1) === 45)) return text; // not plain, or a -- comment
    if (cls !== 3) {
      i++;
      continue;
    }
    // A digit run: a number when nothing word-like comes before it.
    let j = i + 1;
    while (j < n && isDigit(text.charCodeAt(j))) j++;
    if (i > 0 && isWord(text.charCodeAt(i - 1))) {
      i = j;
      continue;
    }
    let end = -1;
    if (text.charCodeAt(j) === 46 && isDigit(text.charCodeAt(j + 1))) {
      let k = j + 2;
      while (k < n && isDigit(text.charCodeAt(k))) k++;
      if (k >= n || !isWord(text.charCodeAt(k)))
        end = k; // digits, fraction and all
      else end = j; // the fraction runs into a name: the digits before the point alone
    } else if (j >= n || !isWord(text.charCodeAt(j))) end = j;
    if (end < 0) {
      i = j; // digits that run into a name (1e5, 2abc): not a number of this form
      continue;
    }
    out += text.slice(copied, i) + zeros(end - i);
    copied = i = end;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/**
 * How deep a parse tree may nest (objects and arrays) for the gateway to read it. The judging and
 * masking code walks trees recursively: 4,000 unary `+` or 1,500 nested sub-queries made it overflow
 * the stack, which ended the session with a misleading "malformed message". A tree this deep is
 * some hundreds of levels of SQL nesting, which no client writes; such a text is refused, with this
 * reason, as a text the parser cannot read is.
 */
const MAX_TREE_DEPTH = 1000;
const TOO_DEEP = `the statement nests more than ${MAX_TREE_DEPTH} levels deep (expressions, sub-queries, arrays): too deep for the gateway to judge`;

const OPERATOR_RUNS = "the statement holds runs of operator characters or name parts (+, -, comment openers, a.b.c...) too long for the SQL parser to read in reasonable time";

function deeperThan(value: unknown, limit: number): boolean {
  if (limit < 0) return true;
  if (typeof value !== "object" || value === null) return false;
  if (Array.isArray(value)) {
    for (const v of value) if (deeperThan(v, limit - 1)) return true;
    return false;
  }
  for (const k in value) if (deeperThan((value as Record<string, unknown>)[k], limit - 1)) return true;
  return false;
}

/**
 * Parses query texts with libpg-query and caches the result by text (drivers resend the same
 * text for every execution of a prepared or parameterised statement; see cacheKey for literals). Statement offsets from the
 * parser are byte offsets, so texts are sliced as UTF-8.
 */
export class StatementAnalyzer {
  private readonly cache = new Map<string, Analysis>();
  private last: { text: string | null; analysis: Analysis } = { text: null, analysis: { ok: false, error: "" } };

  constructor(private readonly maxEntries = 5000) {}

  analyze(text: string): Analysis {
    // The statement guard, the masking guard, the result masker and the audit read a text in turn (an analysis is never changed by its readers).
    if (text === this.last.text) return this.last.analysis;
    const analysis = this.lookUp(text);
    this.last = { text, analysis };
    return analysis;
  }

  private lookUp(text: string): Analysis {
    const key = cacheKey(text);
    let shape = this.cache.get(key);
    if (!shape) {
      shape = this.parse(key);
      if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(key, shape);
    }
    if (key === text || !shape.ok) return shape;
    // Same length, same offsets: the statements' own text comes from the original (a literal, not Object.assign: this runs for every statement).
    const statements: ParsedStatement[] = [];
    for (const s of shape.statements) statements.push({ text: text.slice(s.start, s.end).trim(), start: s.start, end: s.end, kind: s.kind, node: s.node, tree: s.tree });
    return { ok: true, statements };
  }

  private parse(text: string): Analysis {
    if (scannerCostTooHigh(text)) return { ok: false, error: OPERATOR_RUNS };
    let tree: { stmts?: { stmt: Record<string, any>; stmt_location?: number; stmt_len?: number }[] };
    try {
      tree = parseSync(text) as typeof tree;
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
    if ((tree.stmts ?? []).some((s) => deeperThan(s.stmt, MAX_TREE_DEPTH))) return { ok: false, error: TOO_DEEP };
    const bytes = Buffer.from(text, "utf8");
    const ascii = bytes.length === text.length; // then byte offsets are string offsets
    const statements = (tree.stmts ?? []).map((s) => {
      const node = Object.keys(s.stmt)[0];
      const from = s.stmt_location ?? 0;
      const to = s.stmt_len ? from + s.stmt_len : bytes.length;
      const start = ascii ? from : bytes.toString("utf8", 0, from).length;
      const end = ascii ? to : start + bytes.toString("utf8", from, to).length;
      return { text: text.slice(start, end).trim(), start, end, kind: kindOf(node, s.stmt[node]), node, tree: s.stmt };
    });
    return { ok: true, statements };
  }
}
