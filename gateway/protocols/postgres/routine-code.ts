/**
 * What the masking guard and guardrails read of the target's routines, triggers, rules, views and
 * hierarchies (column-catalog.ts loads them, copy-catalog.ts and core/policy/pg-write-hooks.ts,
 * pg-view-reads.ts follow them): the names a body calls, how deep calls are followed, the kinds of
 * write a trigger or a rule fires on, and a table's hooks from its catalog rows.
 */
import type { ReferentialAction, WriteEvent } from "../../../core/sql/written-tables";
import type { WriteHooks } from "../../../core/policy/pg-write-hooks";

export type { WriteHooks };
// pg_trigger.tgtype's event bits, and pg_rewrite.ev_type's codes.
export const TRIGGER_EVENTS: Array<[WriteEvent, number]> = [
  ["insert", 1 << 2],
  ["delete", 1 << 3],
  ["update", 1 << 4],
];
/** pg_trigger.tgtype's bit of a TRUNCATE trigger. */
export const TRUNCATE_TRIGGER = 1 << 5;
export const RULE_EVENTS: Record<string, WriteEvent> = { "2": "update", "3": "insert", "4": "delete" };

/** How many levels of routines called by routines the catalog looks up at once (and copy-catalog.ts's calledCode follows). */
export const ROUTINE_DEPTH = 3;

/** The names a routine's body calls, as its text writes them (`name(`, lower case; keywords and table names among them). */
export function calledNames(body: string): string[] {
  const out = new Set<string>();
  for (const m of body.matchAll(/([A-Za-z_][\w$]*)\s*\(/g)) out.add(m[1].toLowerCase());
  return [...out];
}

/** One relation's row of TABLE_HOOKS (catalog-queries.ts). */
export type TableHookRow = {
  name: string;
  triggers: Array<[string, number]>;
  rules: Array<[string, string]>;
  computed: Array<[string, string]>;
  through: string[];
  referenced: Array<[string, string, string]>;
  /** For a view or materialized view: each relation under it (schema.name; a table's ancestors and descendants too), whether it is this one, and a view's definition. */
  reads: Array<[string, boolean, string | null]>;
  /** [schema, table] pairs (ANCESTORS, DESCENDANTS in catalog-queries.ts); null when none. */
  ancestors: Array<[string, string]> | null;
  descendants: Array<[string, string]> | null;
};

/** pg_constraint's referential actions that write the referencing rows (no action and restrict write none). */
const FK_ACTIONS: Record<string, ReferentialAction | undefined> = { c: "CASCADE", n: "SET NULL", d: "SET DEFAULT" };

/** What writes to a table of one name run, from the TABLE_HOOKS rows of the relations of that name (any schema). */
export function writeHooksOf(rows: TableHookRow[]): WriteHooks {
  const hooks: WriteHooks = { insert: { functions: [], rules: [] }, update: { functions: [], rules: [] }, delete: { functions: [], rules: [] }, computed: [], through: [], cascades: [], truncate: [] };
  for (const r of rows) {
    for (const [fn, type] of r.triggers) {
      for (const [event, bit] of TRIGGER_EVENTS) if (type & bit && !hooks[event].functions.includes(fn)) hooks[event].functions.push(fn);
      if (type & TRUNCATE_TRIGGER && !hooks.truncate!.includes(fn)) hooks.truncate!.push(fn);
    }
    // A default or generated value's expression.
    for (const [column, expr] of r.computed) hooks.computed.push({ column, expr });
    // A rule's actions, after its header (which names the table itself: `CREATE RULE r AS ON UPDATE TO t DO ...`).
    for (const [type, def] of r.rules) hooks[RULE_EVENTS[type] ?? "update"].rules.push(def.replace(/^[\s\S]*?\bDO\s+(?:ALSO\s+|INSTEAD\s+)?/, ""));
    // A view: the relations its rows come from, where a write to it lands (unless its INSTEAD triggers or rules take it).
    for (const t of r.through) if (!hooks.through!.includes(t)) hooks.through!.push(t);
    // Foreign keys that reference it: their ON DELETE / ON UPDATE actions may write the referencing rows (and TRUNCATE ... CASCADE empties them).
    for (const [table, onDelete, onUpdate] of r.referenced) hooks.cascades!.push({ table, onDelete: FK_ACTIONS[onDelete], onUpdate: FK_ACTIONS[onUpdate] });
    // A view read: the relations its rows come from, at any depth, and the definitions of the views among them (its own first).
    if (r.reads.length) {
      const reads = (hooks.reads ??= { relations: [], definitions: [] });
      for (const [relation, self, definition] of r.reads) {
        if (!self && !reads.relations.includes(relation)) reads.relations.push(relation);
        if (definition !== null) reads.definitions[self ? "unshift" : "push"](definition);
      }
      reads.relations.sort();
    }
    // Its inheritance or partition hierarchy: its rows are rows of its ancestors, and its descendants' rows are among its own.
    for (const [key, pairs] of [
      ["ancestors", r.ancestors],
      ["descendants", r.descendants],
    ] as const)
      for (const [schema, table] of pairs ?? []) if (!(hooks[key] ??= []).includes(`${schema}.${table}`)) hooks[key].push(`${schema}.${table}`);
    hooks.ancestors?.sort();
    hooks.descendants?.sort();
  }
  return hooks;
}

/** The routines a table's hooks call by name: its triggers' functions, what its computed columns call, and (a view) what its definition and those of the views under it call. */
export function hookedRoutines(hooks: WriteHooks): string[] {
  const triggers = [...hooks.insert.functions, ...hooks.update.functions, ...hooks.delete.functions, ...(hooks.truncate ?? [])];
  const computed = hooks.computed.flatMap((c) => calledNames(c.expr));
  return [...new Set([...triggers, ...computed, ...(hooks.reads?.definitions ?? []).flatMap(calledNames)])];
}
