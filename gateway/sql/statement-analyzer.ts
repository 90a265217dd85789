import { loadModule, parseSync } from "libpg-query";

/** One top-level statement of a query text, as the real PostgreSQL parser sees it. */
export type ParsedStatement = { text: string; kind: string; node: string; tree: Record<string, unknown> };
export type Analysis = { ok: true; statements: ParsedStatement[] } | { ok: false; error: string };

let ready: Promise<void> | undefined;
/** Loads the parser (WASM) once per process. */
export const loadSqlParser = () => (ready ??= loadModule());

// Names for the parse-tree node types whose generic name reads badly.
const KIND_NAMES: Record<string, string> = {
  SelectStmt: "SELECT", InsertStmt: "INSERT", UpdateStmt: "UPDATE", DeleteStmt: "DELETE", MergeStmt: "MERGE",
  CreateStmt: "CREATE TABLE", CreateTableAsStmt: "CREATE TABLE AS", ViewStmt: "CREATE VIEW", IndexStmt: "CREATE INDEX",
  CreateFunctionStmt: "CREATE FUNCTION", CreateSchemaStmt: "CREATE SCHEMA", CreateRoleStmt: "CREATE ROLE", CreatedbStmt: "CREATE DATABASE",
  DropdbStmt: "DROP DATABASE", DropRoleStmt: "DROP ROLE", TruncateStmt: "TRUNCATE", AlterTableStmt: "ALTER TABLE",
  GrantStmt: "GRANT", GrantRoleStmt: "GRANT ROLE", CopyStmt: "COPY", VariableSetStmt: "SET", VariableShowStmt: "SHOW",
  ExplainStmt: "EXPLAIN", PrepareStmt: "PREPARE", ExecuteStmt: "EXECUTE", DeallocateStmt: "DEALLOCATE", DoStmt: "DO",
  ListenStmt: "LISTEN", UnlistenStmt: "UNLISTEN", NotifyStmt: "NOTIFY", DeclareCursorStmt: "DECLARE CURSOR", FetchStmt: "FETCH",
  ClosePortalStmt: "CLOSE", VacuumStmt: "VACUUM", LockStmt: "LOCK", CallStmt: "CALL", DiscardStmt: "DISCARD", RenameStmt: "RENAME",
};
const TRANSACTION_KINDS: Record<string, string> = {
  TRANS_STMT_BEGIN: "BEGIN", TRANS_STMT_START: "BEGIN", TRANS_STMT_COMMIT: "COMMIT", TRANS_STMT_ROLLBACK: "ROLLBACK",
  TRANS_STMT_SAVEPOINT: "SAVEPOINT", TRANS_STMT_RELEASE: "RELEASE", TRANS_STMT_ROLLBACK_TO: "ROLLBACK TO SAVEPOINT",
  TRANS_STMT_PREPARE: "PREPARE TRANSACTION", TRANS_STMT_COMMIT_PREPARED: "COMMIT PREPARED", TRANS_STMT_ROLLBACK_PREPARED: "ROLLBACK PREPARED",
};

function kindOf(node: string, body: Record<string, any>): string {
  if (node === "TransactionStmt") return TRANSACTION_KINDS[body.kind] ?? "TRANSACTION";
  if (node === "DropStmt") return "DROP " + String(body.removeType ?? "OBJECT").replace(/^OBJECT_/, "").replace(/_/g, " ");
  if (node === "ExplainStmt" && (body.options ?? []).some((o: any) => o?.DefElem?.defname === "analyze")) return "EXPLAIN ANALYZE";
  return KIND_NAMES[node] ?? node.replace(/Stmt$/, "").replace(/([a-z])([A-Z])/g, "$1 $2").toUpperCase();
}

/**
 * Parses query texts with libpg-query and caches the result by exact text (drivers resend the same
 * text for every execution of a prepared or parameterised statement). Statement offsets from the
 * parser are byte offsets, so texts are sliced as UTF-8.
 */
export class StatementAnalyzer {
  private readonly cache = new Map<string, Analysis>();

  constructor(private readonly maxEntries = 5000) {}

  analyze(text: string): Analysis {
    const hit = this.cache.get(text);
    if (hit) return hit;
    const result = this.parse(text);
    if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(text, result);
    return result;
  }

  private parse(text: string): Analysis {
    let tree: { stmts?: { stmt: Record<string, any>; stmt_location?: number; stmt_len?: number }[] };
    try {
      tree = parseSync(text) as typeof tree;
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
    const bytes = Buffer.from(text, "utf8");
    const statements = (tree.stmts ?? []).map((s) => {
      const node = Object.keys(s.stmt)[0];
      const from = s.stmt_location ?? 0;
      const to = s.stmt_len ? from + s.stmt_len : bytes.length;
      return { text: bytes.toString("utf8", from, to).trim(), kind: kindOf(node, s.stmt[node]), node, tree: s.stmt };
    });
    return { ok: true, statements };
  }
}
