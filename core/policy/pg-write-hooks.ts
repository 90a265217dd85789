import type { StatementAnalyzer } from "../sql/statement-analyzer";
import { cascadedWrites, writtenTables, type ForeignKeyCascade, type WriteEvent } from "../sql/written-tables";
import { classifyStatement, type Classification } from "./classify-statement";
import { writeEffects } from "./write-effects";
import { withEffects, type BodyEffects, type SetOff } from "./merge-classification";
import { pgRoutineEffects, userFunctions, type PgRoutineSource } from "./pg-routine-effects";

/**
 * What a PostgreSQL write sets off besides itself: the target owner's triggers and rules on the
 * table it writes, the tables a view it writes reads (PostgreSQL writes their rows), the tables whose
 * foreign keys cascade from it, and the routines its columns' defaults and generated values call. Judged by its
 * text alone, `insert into jobs values (1)` is an INSERT into jobs whatever jobs' trigger deletes.
 *
 * For each table a statement writes (from its parse tree, and from the words of the bodies of the
 * routines it calls), for the kinds of write it makes: each trigger's function is read as a called
 * routine is (core/policy/pg-routine-effects.ts), each rule's actions as statements, each foreign key
 * whose ON DELETE / ON UPDATE action writes the referencing table as that write, each computed
 * column's routines likewise; the tables of its inheritance or partition hierarchy (its rows are its
 * ancestors', and a write of it reaches its descendants', whose triggers fire); and the tables those
 * write (by their words) in turn, DEPTH levels down. What cannot be read (a C trigger function, a catalog that could not be read in time) counts
 * as code the gateway cannot see: write, ddl and privileges, as DO and CALL do (fail closed).
 * Tables are looked up by name in any schema: over-matching is stricter, never laxer.
 */

/** What writes to a table run besides themselves: per kind of write, its triggers' functions and its rules' actions; and its columns' computed values (defaults, generated). */
export type WriteHooks = Record<WriteEvent, { functions: string[]; rules: string[] }> & {
  computed: Array<{ column: string; expr: string }>;
  /** A view's: the relations its rows come from (`schema.name`, as a statement's tables are named), where a write to it lands. */
  through?: string[];
  /** The tables whose foreign keys reference this one, with the actions that write their rows when a referenced row is deleted or its key updated (none for NO ACTION and RESTRICT: TRUNCATE ... CASCADE empties them all the same). */
  cascades?: ForeignKeyCascade[];
  /** Its TRUNCATE triggers' functions. */
  truncate?: string[];
  /** A view's or materialized view's: every relation it reads through views at any depth (`schema.name`), and the definitions of those views (its own first). */
  reads?: { relations: string[]; definitions: string[] };
  /** A table's: those it inherits from or is a partition of, at any depth (`schema.name`): its rows are theirs too. */
  ancestors?: string[];
  /** A table's: those that inherit from it or are its partitions, at any depth (`schema.name`): a read or write of it (without ONLY) reaches their rows. */
  descendants?: string[];
};

export type PgHookSource = PgRoutineSource & {
  /** What writes to a table of this name (unqualified, any schema) run: null when it could not be read, undefined when not loaded. */
  tableHooks(name: string): WriteHooks | null | undefined;
};

/** How many levels of tables written by triggers and rules are followed. */
const DEPTH = 2;

/** A write to follow; `truncate`: TRUNCATE empties the table (with `cascade`, and the tables that reference it); `partOf`: it reaches this table as a descendant of one already followed (whose hierarchy is counted). */
type Write = { table: string; events: readonly WriteEvent[]; via: string; depth: number; truncate?: "only" | "cascade"; partOf?: boolean };

/**
 * `c` with what the triggers, rules and computed columns of the tables it writes run merged in (a
 * copy; `c` itself when there are none), a note for a person, and whether any were consulted (a
 * verdict that depends on them may change with the target's catalog).
 */
export function withWriteHookEffects(
  c: Classification,
  source: PgHookSource,
  analyzer: StatementAnalyzer,
  /** Told each table whose hooks are not loaded yet (the caller loads them and judges again). */
  missing?: (table: string) => void,
): { classification: Classification; note?: string; consulted: boolean } {
  const setOff = hookSetOff(c, source, analyzer, missing);
  return { ...withEffects(c, setOff), consulted: setOff.length > 0 };
}

/** The writes a statement makes itself, and through the routines it calls (their bodies' words). */
function firstWrites(c: Classification, source: PgRoutineSource): Write[] {
  const out: Write[] = (c.writes ?? []).map((w) => ({ table: w.table, events: w.events, via: "it writes", depth: 0, truncate: w.truncate }));
  for (const fn of userFunctions(c.functions))
    for (const w of writtenTables(bodiesOf(fn, source).join("\n"))) out.push({ table: w.table, events: w.events, via: `it calls ${fn}, which writes`, depth: 0 });
  return out;
}

const bodiesOf = (fn: string, source: PgRoutineSource): string[] => (source.routineDefinitions(fn) ?? []).flatMap((d) => (d.body === null ? [] : [d.body]));

function hookSetOff(c: Classification, source: PgHookSource, analyzer: StatementAnalyzer, missing?: (table: string) => void): SetOff[] {
  const out: SetOff[] = [];
  const seen = new Set<string>();
  const queue = firstWrites(c, source);
  for (let w = queue.shift(); w; w = queue.shift()) {
    const table = w.table.split(".").at(-1)!;
    const events = w.events.filter((e) => !seen.has(`${table}\0${e}`));
    const truncate = w.truncate && !seen.has(`${table}\0truncate:${w.truncate}`) ? w.truncate : undefined;
    if (!events.length && !truncate) continue;
    for (const e of events) seen.add(`${table}\0${e}`);
    if (truncate) seen.add(`${table}\0truncate:${truncate}`);
    const who = `${w.via} ${table}`;
    const hooks = source.tableHooks(table);
    if (hooks === undefined) missing?.(table);
    if (!hooks) {
      const why = hooks === undefined ? "whose triggers and rules the gateway could not read in time" : "whose triggers and rules the gateway could not read (its catalog could not be read)";
      out.push({ who, whose: "", found: { why } });
      continue;
    }
    // Its hierarchy: its rows are rows of the tables it inherits from or is a partition of, and a write
    // of it (without ONLY: over-matching is stricter) writes its partitions' and child tables' rows, whose triggers fire in turn.
    if (!w.partOf) {
      const family = [...(hooks.ancestors ?? []), ...(hooks.descendants ?? [])];
      const kinds: readonly string[] = truncate ? [...events, "truncate"] : events;
      if (family.length) out.push({ who, whose: "a table of a partition or inheritance hierarchy that", found: { effects: family.flatMap((t) => writeEffects(kinds, t)) } });
      for (const d of hooks.descendants ?? []) queue.push({ table: d, events, via: `${who}, whose partitions or child tables include`, depth: w.depth, truncate, partOf: true });
    }
    // A write to a view (one PostgreSQL updates automatically) writes the rows of the relations it reads: their rules and triggers fire too.
    for (const base of hooks.through ?? []) {
      out.push({ who, whose: "a view that", found: { effects: writeEffects(events, base) } });
      queue.push({ table: base, events, via: `${who}, a view over`, depth: w.depth });
    }
    // A foreign key's ON DELETE / ON UPDATE action writes the referencing rows: deletes them (DELETE CASCADE) or updates them.
    for (const fk of hooks.cascades ?? []) {
      const cascaded = cascadedWrites(fk, events);
      if (!cascaded) continue;
      out.push({ who, whose: `whose rows ${fk.table} references with ${cascaded.action}, which`, found: { effects: writeEffects(cascaded.events, fk.table) } });
      queue.push({ table: fk.table, events: cascaded.events, via: `${who}, whose foreign key action writes`, depth: w.depth });
    }
    // TRUNCATE fires its own triggers; with CASCADE it empties every table whose foreign keys reference this one, whatever their actions.
    const bodies: string[] = [];
    if (truncate)
      for (const fn of hooks.truncate ?? []) {
        out.push({ who: `${who}, whose TRUNCATE trigger calls ${fn}`, whose: "a function whose body", found: pgRoutineEffects(fn, source, analyzer) });
        bodies.push(...bodiesOf(fn, source));
      }
    if (truncate === "cascade")
      for (const fk of hooks.cascades ?? []) {
        out.push({ who, whose: `whose rows ${fk.table} references, so TRUNCATE ... CASCADE`, found: { effects: writeEffects(["truncate"], fk.table) } });
        queue.push({ table: fk.table, events: [], via: `${who}, whose TRUNCATE ... CASCADE empties`, depth: w.depth, truncate: "cascade" });
      }
    const functions = new Set(events.flatMap((e) => hooks[e].functions));
    for (const fn of functions) {
      out.push({ who: `${who}, whose trigger calls ${fn}`, whose: "a function whose body", found: pgRoutineEffects(fn, source, analyzer) });
      bodies.push(...bodiesOf(fn, source));
    }
    for (const rule of new Set(events.flatMap((e) => hooks[e].rules))) {
      out.push({ who, whose: "which has a rule that", found: ruleEffects(rule, analyzer) });
      bodies.push(rule);
    }
    // A default is computed for a new row, a generated value for a new or changed one.
    if (events.some((e) => e !== "delete"))
      for (const { column, expr } of hooks.computed)
        for (const fn of computedCalls(expr, analyzer)) {
          out.push({ who: `${who}, whose column ${column} is computed by ${fn}`, whose: "a function whose body", found: pgRoutineEffects(fn, source, analyzer) });
          bodies.push(...bodiesOf(fn, source));
        }
    if (w.depth < DEPTH)
      for (const next of writtenTables(bodies.join("\n")))
        if (next.table.split(".").at(-1) !== table) queue.push({ table: next.table, events: next.events, via: `${who}, whose triggers or rules write`, depth: w.depth + 1 });
  }
  return out;
}

/** A rule's actions as pg_get_ruledef writes them after DO [ALSO | INSTEAD]: NOTHING, one statement, or several in parentheses. */
function ruleEffects(action: string, analyzer: StatementAnalyzer): BodyEffects {
  let text = action.trim().replace(/;\s*$/, "").trim();
  if (/^nothing$/i.test(text)) return { effects: [] };
  if (text.startsWith("(") && text.endsWith(")")) text = text.slice(1, -1);
  const a = analyzer.analyze(text);
  return a.ok ? { effects: a.statements.map((s) => classifyStatement(s)) } : { why: `which has a rule whose action the gateway cannot read (${a.error})` };
}

/** The routines of the target owner's a column's default or generation expression calls. */
function computedCalls(expr: string, analyzer: StatementAnalyzer): string[] {
  const a = analyzer.analyze(`SELECT ${expr}`);
  return a.ok ? userFunctions(a.statements.flatMap((s) => classifyStatement(s).functions)) : [];
}
