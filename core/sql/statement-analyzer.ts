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
};
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
  if (node === "DropStmt")
    return (
      "DROP " +
      String(body.removeType ?? "OBJECT")
        .replace(/^OBJECT_/, "")
        .replace(/_/g, " ")
    );
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
const PLAIN_TEXT = /^[A-Za-z0-9_\s.,;:()=<>!+*%|&^~@#[\]-]*$/;
// Only data statements: in SET, ALTER... a number is a setting's value, and values can matter to policy.
const DATA_STATEMENT = /^\s*(select|insert|update|delete|with|values|table)\b/i;
const NUMBER_LITERAL = /(?<![A-Za-z0-9_])\d+(?:\.\d+)?(?![A-Za-z0-9_])/g;

/**
 * The cache key of a text: numeric literals zeroed digit for digit (same length, so the parser's
 * offsets still fit the original) when the text is plain enough for that to be unambiguous. The
 * value of a number changes neither the statement's kind nor what it touches, and this turns
 * pgbench-style texts that differ only in their literals into one cache entry. Anything with a quote,
 * a comment or a dollar sign is keyed by its exact text.
 */
export function cacheKey(text: string): string {
  if (text.length > 4096 || !DATA_STATEMENT.test(text) || !PLAIN_TEXT.test(text) || text.includes("--")) return text;
  return text.replace(NUMBER_LITERAL, (d) => "0".repeat(d.length));
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

  constructor(private readonly maxEntries = 5000) {}

  analyze(text: string): Analysis {
    const key = cacheKey(text);
    let shape = this.cache.get(key);
    if (!shape) {
      shape = this.parse(key);
      if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(key, shape);
    }
    if (key === text || !shape.ok) return shape;
    // Same length, same offsets: the statements' own text comes from the original.
    return { ok: true, statements: shape.statements.map((s) => Object.assign({}, s, { text: text.slice(s.start, s.end).trim() })) };
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
