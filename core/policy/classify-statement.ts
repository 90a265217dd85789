import { ANONYMOUS } from "./anonymous-code";
import { addEveryTableOf } from "./every-table";
import { addSampledReads, readsOthers } from "./reads-rows";
import { kindOf, type ParsedStatement } from "../sql/statement-analyzer";
import { alteredKind, foreignSource, names, ON_TABLE, schemasActedOn, sequenceOwner, TABLE_LIKE } from "./pg-acted-on";
import { nodeLock, strongest, type LockLevel } from "./lock-levels";
import { functionEffects, settingNames } from "./function-effects";
import type { WriteEvent } from "../sql/written-tables";

/** What a statement can do, in the classes guardrail rules match on. A statement can be in several. */
export type StatementClass = "read" | "write" | "ddl" | "privileges" | "utility" | "transaction" | "session" | "anonymous-code";

/** A statement of this kind about which nothing else is known yet (the classifiers fill it in). */
export const blankClassification = (kind: string, classes: readonly StatementClass[] = []): Classification => ({
  kind,
  runs: [],
  // A copy: a classification's lists are its own (a shared constant passed here must not change with it).
  classes: [...classes],
  tables: [],
  functions: [],
  writesWithoutWhere: false,
  copiesServerFile: false,
  copiesProgram: false,
  sessionSettings: [],
  locks: null,
});

export type Classification = {
  kind: string;
  /**
   * Kinds of the statements it really runs, besides its own: what a PREPARE will run (and so its
   * EXECUTE), what EXPLAIN ANALYZE runs, the writes inside a data-modifying CTE. A `kinds` rule
   * matches any of them, so `kinds: ["DELETE"]` catches `explain analyze delete ...` too.
   */
  runs: string[];
  classes: StatementClass[];
  /** Relations it names, schema-qualified as written (`public.users`, or `users`). */
  tables: string[];
  /**
   * Schemas every table of which it reads without naming them (`schema_to_xml('billing', ...)`; `*`:
   * every schema, `database_to_xml(...)`): deny and review `tables` rules meet it (possibleResources).
   */
  everyTableOf?: string[];
  /**
   * It runs code the gateway cannot read (a LOADed library, a body it cannot parse, SQL built at run
   * time): what that code runs and touches is unknown, so deny and review `kinds` and `tables` rules
   * meet it (its everyTableOf holds `*`), as its classes already meet every strict class rule.
   */
  unknownRuns?: boolean;
  /** When only called functions' unreadable code made its runs unknown: their names (an allow rule naming them vouches for them); null when something else did too. */
  unknownFrom?: string[] | null;
  /** The tables it names itself, once code it sets off added others to `tables` (merge-classification.ts); undefined while none was added. */
  named?: string[];
  /** Functions it calls, schema-qualified as written, lower case. */
  functions: string[];
  /** UPDATE or DELETE with no WHERE (all rows). */
  writesWithoutWhere: boolean;
  /** COPY to or from a server file, or through a PROGRAM. */
  copiesServerFile: boolean;
  copiesProgram: boolean;
  /** Settings it changes that alter what later statements may do (SET ROLE, search_path, read-only...). */
  sessionSettings: string[];
  /**
   * The strongest table lock it takes, as PostgreSQL documents each command's (VACUUM FULL, CLUSTER,
   * REINDEX, TRUNCATE, most ALTER TABLE forms: ACCESS EXCLUSIVE...); null when it takes none.
   * Anonymous code could take any: ACCESS EXCLUSIVE.
   */
  locks: LockLevel | null;
  /**
   * The tables it writes rows of (INSERT, UPDATE, DELETE, MERGE, COPY FROM; a plain EXPLAIN none), as
   * written, each with the kinds of write the triggers and rules of the table fire on for it.
   */
  writes?: TableWrite[];
  /** PREPARE: the name; the prepared statement is classified as if it ran (EXECUTE inherits it). */
  prepares?: string;
  /** EXECUTE: the name of the prepared statement it runs; the caller resolves it from the session. */
  executes?: string;
};

/** A table a statement writes, and how: the triggers and rules that fire are those of these kinds of write. */
export type TableWrite = {
  table: string;
  events: WriteEvent[];
  /** TRUNCATE empties it (its TRUNCATE triggers fire); with CASCADE, also every table that references it. */
  truncate?: "only" | "cascade";
};

type Node = Record<string, unknown>;

const CLASS_OF_NODE: Record<string, StatementClass> = {
  SelectStmt: "read",
  InsertStmt: "write",
  UpdateStmt: "write",
  DeleteStmt: "write",
  MergeStmt: "write",
  TruncateStmt: "write",
  GrantStmt: "privileges",
  GrantRoleStmt: "privileges",
  AlterDefaultPrivilegesStmt: "privileges",
  CreateRoleStmt: "privileges",
  AlterRoleStmt: "privileges",
  AlterRoleSetStmt: "privileges",
  DropRoleStmt: "privileges",
  ReassignOwnedStmt: "privileges",
  DropOwnedStmt: "privileges",
  TransactionStmt: "transaction",
  VariableSetStmt: "session",
  DiscardStmt: "session",
  DoStmt: "anonymous-code",
  VariableShowStmt: "utility",
  ExplainStmt: "utility",
  ListenStmt: "utility",
  UnlistenStmt: "utility",
  NotifyStmt: "utility",
  FetchStmt: "read",
  ClosePortalStmt: "utility",
  DeallocateStmt: "utility",
  CheckPointStmt: "utility",
  LoadStmt: "anonymous-code",
  VacuumStmt: "utility",
  ClusterStmt: "utility",
  ReindexStmt: "utility",
  LockStmt: "write",
  CallStmt: "anonymous-code",
};
// Everything else that creates, alters, drops or comments on objects.
const isDdl = (node: string) => /^(Create|Alter|Drop|Rename|Comment|Define|Composite|Rule|Index|View|Sec|Import|Refresh|AlterObject|CreateExtension)/.test(node);

/**
 * Classifies one statement by walking its real parse tree, so that text which merely looks
 * dangerous (a string literal saying "drop table") does not count and what is nested does: a
 * data-modifying CTE makes a SELECT a write, EXPLAIN ANALYZE runs its statement, DO and function
 * bodies are anonymous code. Unknown node types fall back to "utility" plus whatever they contain.
 */
export function classifyStatement(s: Pick<ParsedStatement, "kind" | "node" | "tree">): Classification {
  // Parse trees are cached by the analyzer (and shared by texts that differ only in literals), so
  // their classification is too: the tree walk runs once per distinct statement shape.
  const known = classified.get(s.tree);
  if (known && known.kind === s.kind) return known;
  const c = classifyUncached(s);
  classified.set(s.tree, c);
  return c;
}

const classified = new WeakMap<object, Classification>();

function classifyUncached(s: Pick<ParsedStatement, "kind" | "node" | "tree">): Classification {
  const top0 = s.node;
  const body0 = s.tree[top0] as Node;
  // Wrappers that run (EXPLAIN ANALYZE) or will run (PREPARE) another statement are judged by it.
  const wrapped = top0 === "PrepareStmt" || (top0 === "ExplainStmt" && explainAnalyzes(body0)) ? (body0.query as Node | undefined) : undefined;
  if (wrapped) {
    const innerNode = Object.keys(wrapped)[0];
    const innerKind = kindOf(innerNode, wrapped[innerNode] as Node);
    const inner = classifyStatement({ kind: s.kind, node: innerNode, tree: wrapped });
    const runs = [...new Set([innerKind, ...inner.runs])];
    return top0 === "PrepareStmt" ? { ...inner, runs, prepares: String(body0.name ?? "") } : { ...inner, runs };
  }
  const c = blankClassification(s.kind);
  const classes = new Set<StatementClass>();
  const top = s.node;
  const body = s.tree[top] as Node;

  if (CLASS_OF_NODE[top]) classes.add(CLASS_OF_NODE[top]);
  else if (isDdl(top)) classes.add("ddl");
  else classes.add("utility");

  if (top === "CopyStmt") {
    classes.delete("utility");
    classes.add(body.is_from ? "write" : "read");
    if (body.is_from) addWrite(c, body.relation, ["insert"]);
    if (body.filename) c.copiesServerFile = true;
    if (body.is_program) c.copiesProgram = true;
  }
  if (top === "VariableSetStmt" && typeof body.name === "string") c.sessionSettings.push(...settingNames(body.name));
  if (top === "SelectStmt" && body.intoClause) {
    classes.add("ddl"); // SELECT INTO creates a table
    c.runs.push("CREATE TABLE AS");
  }
  if (top === "ExecuteStmt") c.executes = String(body.name ?? "");
  if (top === "CreateFunctionStmt") classes.add("anonymous-code");
  // CALL names its procedure outside a FuncCall node: it is judged by its body as a called function is.
  if (top === "CallStmt") {
    const proc = names((body.funccall as Node | undefined)?.funcname)
      .join(".")
      .toLowerCase();
    if (proc) c.functions.push(proc);
  }
  // A shared library's code cannot be read at all.
  if (top === "LoadStmt") {
    c.everyTableOf = ["*"];
    c.unknownRuns = true;
  }
  if (top === "DropStmt" && (TABLE_LIKE.has(String(body.removeType)) || ON_TABLE.has(String(body.removeType)))) {
    for (const o of (body.objects as Node[] | undefined) ?? []) {
      const items = names((o.List as Node | undefined)?.items);
      // A policy, trigger or rule is named after its table: `drop policy p on vault.keys` is [vault, keys, p].
      const rel = (ON_TABLE.has(String(body.removeType)) ? items.slice(0, -1) : items).join(".");
      if (rel && !c.tables.includes(rel)) c.tables.push(rel);
    }
  }
  // RENAME, SET SCHEMA, OWNER TO and ALTER INDEX / VIEW / SEQUENCE...: their object's ALTER kind too.
  const altered = alteredKind(top, body);
  if (altered) c.runs.push(altered);
  for (const t of [sequenceOwner(top, body), foreignSource(top, body)]) if (t && !c.tables.includes(t)) c.tables.push(t);
  // What acts on a whole schema acts on every table in it: a deny or review rule on those tables meets it.
  for (const schema of schemasActedOn(top, body)) addEveryTableOf(c, schema);
  // COMMENT and SECURITY LABEL on a table, a column of one, or what is defined on one, name that table.
  if ((top === "CommentStmt" || top === "SecLabelStmt") && (TABLE_LIKE.has(String(body.objtype)) || ON_TABLE.has(String(body.objtype)) || body.objtype === "OBJECT_COLUMN")) {
    const items = names(((body.object as Node | undefined)?.List as Node | undefined)?.items);
    const rel = (TABLE_LIKE.has(String(body.objtype)) ? items : items.slice(0, -1)).join(".");
    if (rel && !c.tables.includes(rel)) c.tables.push(rel);
  }

  // Plain EXPLAIN only plans: what it names is recorded, what it would write is not done.
  const explainOnly = top === "ExplainStmt";
  walk(s.tree, (type, node) => {
    // Planning takes the locks execution would, so a plain EXPLAIN counts them too.
    c.locks = strongest(c.locks, nodeLock(type, node));
    if (type === "RangeVar") {
      const rel = [node.schemaname, node.relname].filter(Boolean).join(".");
      if (rel && !c.tables.includes(rel)) c.tables.push(rel);
    } else if (type === "FuncCall") {
      const fn = names(node.funcname).join(".").toLowerCase();
      if (fn && !c.functions.includes(fn)) c.functions.push(fn);
      // What a call runs besides (dblink's SQL text, set_config's SET); a plain EXPLAIN runs nothing.
      if (!explainOnly) functionEffects(fn, node, c, classes, (kind, n, tree) => classifyStatement({ kind, node: n, tree }));
    } else if (explainOnly) {
      return;
    } else if (type === "InsertStmt" || type === "UpdateStmt" || type === "DeleteStmt" || type === "MergeStmt") {
      classes.add("write");
      const k = kindOf(type, node);
      if (k !== s.kind && !c.runs.includes(k)) c.runs.push(k);
      if ((type === "UpdateStmt" || type === "DeleteStmt") && !filters(node.whereClause)) c.writesWithoutWhere = true;
      // An upsert updates the row it collides with: a rule about UPDATE catches it.
      if (type === "InsertStmt" && (node.onConflictClause as Node | undefined)?.action === "ONCONFLICT_UPDATE" && !c.runs.includes("UPDATE") && s.kind !== "UPDATE") c.runs.push("UPDATE");
      if (type === "MergeStmt") mergeRuns(node, s.kind, c);
      addWrite(c, node.relation, writeEvents(type, node));
    } else if (type === "TruncateStmt") {
      c.writesWithoutWhere = true; // every row, as a DELETE without WHERE
      // Its triggers are TRUNCATE triggers; with CASCADE it empties the tables that reference these too.
      for (const r of (node.relations as Node[] | undefined) ?? []) {
        const rel = (r.RangeVar ?? r) as Node;
        const table = [rel.schemaname, rel.relname].filter(Boolean).join(".");
        if (table) (c.writes ??= []).push({ table, events: [], truncate: node.behavior === "DROP_CASCADE" ? "cascade" : "only" });
      }
    } else if (type === "SelectStmt" && node.lockingClause) {
      classes.add("write"); // SELECT ... FOR UPDATE takes row locks
    }
  });
  // Code the parser cannot see into (DO, function bodies, CALL, LOAD) could do anything: it is in
  // the strictest classes too, so a rule about writes or DDL catches it unless a rule allows it first.
  if (classes.has("anonymous-code")) {
    for (const k of ANONYMOUS) classes.add(k);
    c.locks = "ACCESS EXCLUSIVE";
  }
  c.classes = [...classes];
  // Rows it reads besides its own kind's (a plain CREATE TABLE only names its parents and what its keys reference).
  if (
    top !== "CreateStmt" &&
    readsOthers(
      c,
      (c.writes ?? []).map((w) => w.table),
    )
  )
    c.runs.push("SELECT");
  addSampledReads(c);
  return c;
}

/** The kinds of write an INSERT (an upsert also updates), UPDATE, DELETE or MERGE (each WHEN clause's) fires triggers and rules on. */
function writeEvents(type: string, node: Node): WriteEvent[] {
  if (type === "UpdateStmt") return ["update"];
  if (type === "DeleteStmt") return ["delete"];
  if (type === "InsertStmt") return (node.onConflictClause as Node | undefined)?.action === "ONCONFLICT_UPDATE" ? ["insert", "update"] : ["insert"];
  const events = new Set<WriteEvent>();
  for (const w of (node.mergeWhenClauses as Node[] | undefined) ?? []) {
    const k = MERGE_COMMANDS[String((w.MergeWhenClause as Node | undefined)?.commandType)];
    if (k) events.add(k.toLowerCase() as WriteEvent);
  }
  return [...events];
}

function addWrite(c: Classification, relation: unknown, events: WriteEvent[]): void {
  const r = relation as Node | undefined;
  const table = [r?.schemaname, r?.relname].filter(Boolean).join(".");
  if (!table || !events.length) return;
  const known = (c.writes ??= []).find((w) => w.table === table);
  if (!known) c.writes.push({ table, events: [...events] });
  else for (const e of events) if (!known.events.includes(e)) known.events.push(e);
}

const MERGE_COMMANDS: Record<string, string> = { CMD_UPDATE: "UPDATE", CMD_DELETE: "DELETE", CMD_INSERT: "INSERT" };

/**
 * MERGE runs an UPDATE, a DELETE or an INSERT per WHEN clause: each is a kind it runs. A matched
 * UPDATE or DELETE with no condition of its own, joined on a condition that filters nothing (`ON
 * true`), touches every row; so does one WHEN NOT MATCHED BY SOURCE without a condition (every row
 * the source does not name, all of them when it is empty).
 */
function mergeRuns(node: Node, kind: string, c: Classification): void {
  for (const w of (node.mergeWhenClauses as Node[] | undefined) ?? []) {
    const clause = w.MergeWhenClause as Node | undefined;
    const k = MERGE_COMMANDS[String(clause?.commandType)];
    if (!clause || !k) continue;
    if (k !== kind && !c.runs.includes(k)) c.runs.push(k);
    if (k === "INSERT" || clause.condition) continue;
    if (clause.matchKind === "MERGE_WHEN_NOT_MATCHED_BY_SOURCE" || !filters(node.joinCondition)) c.writesWithoutWhere = true;
  }
}

/**
 * Whether a WHERE (or a join condition) can pick rows: it names a column somewhere (or is WHERE
 * CURRENT OF a cursor). One that names none (`WHERE true`, `WHERE 1 = 1`, `WHERE $1`, `WHERE
 * exists (select 1)`) is true for every row or for none, so it bounds nothing.
 */
/**
 * Whether a WHERE (or a MERGE's join condition) can leave a row out. It cannot when it names no
 * column (`WHERE true`, `1 = 1`), when an OR has an arm that names none (`id = 1 OR 1 = 1`: true for
 * every row, or pointless), or when it compares an expression with itself (`id = id`, `t.x >= t.x`,
 * `x IS NOT DISTINCT FROM x`). An AND filters when any of its arms does.
 */
function filters(where: unknown): boolean {
  if (!where) return false;
  const w = where as Node;
  const bool = w.BoolExpr as Node | undefined;
  if (bool?.boolop === "OR_EXPR") return ((bool.args as unknown[] | undefined) ?? []).every(filters);
  if (bool?.boolop === "AND_EXPR") return ((bool.args as unknown[] | undefined) ?? []).some(filters);
  if (comparesWithItself(w.A_Expr as Node | undefined)) return false;
  let found = false;
  walk(where, (type) => (found ||= type === "ColumnRef" || type === "CurrentOfExpr"));
  return found;
}

const TRUE_OF_ITSELF = new Set(["=", ">=", "<="]);
function comparesWithItself(e: Node | undefined): boolean {
  if (!e) return false;
  const op = ((e.name as Node[] | undefined)?.[0]?.String as Node | undefined)?.sval;
  const reflexive = e.kind === "AEXPR_NOT_DISTINCT" || (e.kind === "AEXPR_OP" && TRUE_OF_ITSELF.has(String(op)));
  return reflexive && e.lexpr !== undefined && sameTree(e.lexpr, e.rexpr);
}

/** Two parse trees alike but for where they stand in the text. */
export const sameTree = (a: unknown, b: unknown): boolean => JSON.stringify(a, withoutPlace) === JSON.stringify(b, withoutPlace);
const withoutPlace = (key: string, value: unknown) => (key === "location" || key === "loc" || key === "parentheses" ? undefined : value);

function explainAnalyzes(body: Node): boolean {
  return ((body.options as Node[] | undefined) ?? []).some((o) => {
    const d = o.DefElem as Node | undefined;
    // EXPLAIN (ANALYZE false) does not run the statement; bare ANALYZE or ANALYZE true/on does.
    const arg = JSON.stringify(d?.arg ?? "");
    return d?.defname === "analyze" && !/"(false|off|0)"|"boolval":\{\}|"ival":0/.test(arg);
  });
}

/** Visits every node object of a libpg-query tree as (node type, node body). */
function walk(value: unknown, visit: (type: string, node: Node) => void): void {
  if (Array.isArray(value)) {
    for (const v of value) walk(v, visit);
    return;
  }
  if (!value || typeof value !== "object") return;
  for (const [key, child] of Object.entries(value as Node)) {
    if (child && typeof child === "object" && !Array.isArray(child)) {
      if (/^[A-Z]/.test(key)) visit(key, child as Node);
      // Typed fields hold a RangeVar without its wrapper (only a RangeVar has a relname): the target of INSERT/UPDATE/DELETE/COPY/ALTER,
      // the table CREATE TABLE AS and SELECT INTO create, a policy's table, a constraint trigger's referenced table, the partition
      // ATTACH and DETACH PARTITION name, the sequence CREATE and ALTER SEQUENCE name.
      else if ("relname" in (child as Node)) visit("RangeVar", child as Node);
    }
    walk(child, visit);
  }
}
