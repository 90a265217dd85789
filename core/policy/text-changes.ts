import type { ParsedStatement } from "../sql/statement-analyzer";
import type { Classification } from "./classify-statement";
import { withEffects } from "./merge-classification";
import { bare } from "./reads-rows";

/**
 * What earlier statements of one text change in the target's catalog that later statements of the
 * same text are judged by. The gateway judges a whole text before any of it runs, reading views,
 * triggers, rules, functions and event triggers from the catalog as they are then, so in `create view
 * v as select * from secrets; select * from v` or `create function f() ... delete from victims ...;
 * select f()` the second statement would be judged by what v and f were before (or by nothing). A
 * later statement that uses a name an earlier one creates or changes counts as code the gateway
 * cannot see instead (every strict class, any kind, any table: fail closed); sent as separate texts,
 * the second is judged by the catalog the first changed (a session's DDL drops what the catalog knew).
 */
export type TextChanges = {
  /** Relations (unqualified, lower case) whose definition, triggers, rules or hierarchy change. */
  relations: Set<string>;
  /** Functions and procedures (unqualified, lower case) created or changed. */
  functions: Set<string>;
  /** Some function changed whose name the statement does not give (an extension, ALTER FUNCTION). */
  anyFunction: boolean;
  /** Event triggers changed: later DDL is judged by what they run. */
  eventTriggers: boolean;
};

export const noChanges = (): TextChanges => ({ relations: new Set(), functions: new Set(), anyFunction: false, eventTriggers: false });

type Node = Record<string, unknown>;
const isObj = (v: unknown): v is Node => typeof v === "object" && v !== null;
const lastName = (list: unknown) => (Array.isArray(list) ? ((list.at(-1) as { String?: { sval?: string } } | undefined)?.String?.sval ?? "") : "").toLowerCase();

/** Every relation name in a tree (RangeVar fields, wrapped or not), but under `skip` keys (a view's query: what it reads is not changed). */
function relnames(v: unknown, out: Set<string>, skip: ReadonlySet<string> = new Set()): void {
  if (Array.isArray(v)) return v.forEach((x) => relnames(x, out, skip));
  if (!isObj(v)) return;
  if (typeof v.relname === "string") out.add(v.relname.toLowerCase());
  for (const k in v) if (!skip.has(k)) relnames(v[k], out, skip);
}

const FUNCTION_OBJECTS = new Set(["OBJECT_FUNCTION", "OBJECT_PROCEDURE", "OBJECT_ROUTINE", "OBJECT_AGGREGATE"]);

/** What a PostgreSQL statement changes that later statements are judged by, added to `into`. */
export function addPgChanges(s: Pick<ParsedStatement, "node" | "tree">, into: TextChanges): void {
  const body = s.tree[s.node] as Node | undefined;
  if (!body) return;
  switch (s.node) {
    case "ViewStmt":
      return relnames(body.view, into.relations);
    case "CreateTableAsStmt":
      // A materialized view is read as its query; a table made by CREATE TABLE AS has no triggers or parents.
      if (body.objtype === "OBJECT_MATVIEW") relnames((body.into as Node | undefined)?.rel, into.relations);
      return;
    case "CreateStmt":
      // A new table sets off nothing of its own unless it is a partition or child (a write of it writes its parents). (The functions its
      // columns compute are its own statement's calls, judged with it.)
      if (body.inhRelations || body.partbound) relnames(body, into.relations);
      return;
    case "AlterTableStmt":
    case "CreateTrigStmt":
    case "AlterObjectSchemaStmt":
      if (s.node === "AlterObjectSchemaStmt" && FUNCTION_OBJECTS.has(String(body.objectType))) into.anyFunction = true;
      return relnames(body, into.relations);
    case "RuleStmt":
      return relnames(body.relation, into.relations);
    case "RenameStmt":
      if (FUNCTION_OBJECTS.has(String(body.renameType))) {
        into.functions.add(lastName(((body.object as Node | undefined)?.ObjectWithArgs as Node | undefined)?.objname));
        if (typeof body.newname === "string") into.functions.add(body.newname.toLowerCase());
        return;
      }
      relnames(body.relation, into.relations);
      if (typeof body.newname === "string" && body.relation) into.relations.add(body.newname.toLowerCase());
      return;
    case "CreateFunctionStmt":
      into.functions.add(lastName(body.funcname));
      return;
    case "DefineStmt":
      if (body.kind === "OBJECT_AGGREGATE") into.functions.add(lastName(body.defnames));
      return;
    case "AlterFunctionStmt":
    case "CreateExtensionStmt":
    case "AlterExtensionStmt":
    case "AlterExtensionContentsStmt":
      into.anyFunction = true;
      return;
    case "CreateEventTrigStmt":
    case "AlterEventTrigStmt":
      into.eventTriggers = true;
      return;
  }
}

const DDL_KIND = /^(?:CREATE|ALTER|RENAME|DROP) /;

/** What a MySQL or MariaDB statement changes that later statements are judged by, added to `into` (`text`: the statement as the server runs it). */
export function addMysqlChanges(c: Classification, text: string, into: TextChanges): void {
  if (!DDL_KIND.test(c.kind)) return; // every statement passes here: most are not DDL
  const kind = c.kind.replace(/^CREATE OR REPLACE /, "CREATE ");
  if (/^(?:CREATE|ALTER) VIEW$|^RENAME TABLE$/.test(kind)) for (const t of c.tables) into.relations.add(bare(t));
  // A trigger's table: its writes set off the trigger's body (the statement's tables are the body's).
  if (kind === "CREATE TRIGGER") for (const m of text.matchAll(/\bON\s+((?:`[^`]+`|[\w$]+)(?:\s*\.\s*(?:`[^`]+`|[\w$]+))?)\s+FOR\s+EACH\s+ROW\b/gi)) into.relations.add(bare(m[1].replace(/\s/g, "")));
  if (kind === "ALTER TABLE") {
    for (const t of c.tables) into.relations.add(bare(t));
    // A foreign key added: deletes and updates of the table it references cascade into this one.
    for (const m of text.matchAll(/\bREFERENCES\s+((?:`[^`]+`|[\w$]+)(?:\s*\.\s*(?:`[^`]+`|[\w$]+))?)/gi)) into.relations.add(bare(m[1].replace(/\s/g, "")));
  }
  if (/^(?:CREATE|ALTER|DROP) (?:FUNCTION|PROCEDURE)\b/.test(kind)) into.anyFunction = true;
}

/**
 * `c` judged as code the gateway cannot see when it uses a name an earlier statement of the text
 * changed (`callsOf`: the functions of the target's it calls; `ddl`: whether it fires event
 * triggers), with a note for a person; `c` itself otherwise.
 */
export function withEarlierChanges(c: Classification, changes: TextChanges, callsOf: (c: Classification) => string[], ddl = false): { classification: Classification; note?: string } {
  if (!changes.relations.size && !changes.functions.size && !changes.anyFunction && !changes.eventTriggers) return { classification: c };
  const used: string[] = [];
  for (const t of [...c.tables, ...(c.writes ?? []).map((w) => w.table)]) if (changes.relations.has(bare(t)) && !used.includes(bare(t))) used.push(bare(t));
  for (const f of callsOf(c)) if ((changes.anyFunction || changes.functions.has(bare(f))) && !used.includes(bare(f))) used.push(bare(f));
  if (ddl && changes.eventTriggers) used.push("the event triggers");
  if (!used.length) return { classification: c };
  const why =
    "which an earlier statement of this text creates or changes: the gateway judges a whole text before any of it runs, so it cannot read what that will be (send the change and what uses it as separate texts)";
  return withEffects(c, [{ who: `it uses ${used.join(", ")}`, whose: "", found: { why } }]);
}
