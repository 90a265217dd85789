import type { StatementAnalyzer } from "../sql/statement-analyzer";
import { blankClassification, classifyStatement, type Classification } from "./classify-statement";
import { withEffects, type BodyEffects, type SetOff } from "./merge-classification";
import { pgRoutineEffects, userFunctions } from "./pg-routine-effects";
import { readsRows } from "./reads-rows";
import type { PgHookSource } from "./pg-write-hooks";

/**
 * What reading a PostgreSQL view reads: the relations under it. Judged by its text alone, `select *
 * from customer_emails` reads customer_emails, whatever table the view selects from; a rule on
 * reading `customers` would not meet it. For each relation a statement names and does not write
 * (a write through a view is core/policy/pg-write-hooks.ts's), when it is a view or materialized
 * view: every relation under it through views at any depth (pg_depend, schema-qualified) is read,
 * and each of those views' definitions is read as a statement is (its functions, built-in or the
 * owner's, with what they run). A view whose catalog or definition cannot be read counts as code the
 * gateway cannot see: write, ddl and privileges (fail closed). A materialized view counts as its
 * query: its rows are what that query read when it was refreshed. A table of an inheritance or
 * partition hierarchy reads its ancestors' rows (its rows are theirs) and its descendants' (a read
 * without ONLY reaches them): a rule on `payments` meets a read of `payments_2026`, and one on
 * `payments_2026` a read of `payments`. The tables under a view bring their hierarchies alike (the
 * catalog lists them among what the view reads).
 */

/**
 * `c` with what the views it reads read merged in (a copy; `c` itself when it reads none), a note for
 * a person, and whether any view was consulted (a verdict that depends on one may change with the
 * target's catalog).
 */
export function withViewReadEffects(
  c: Classification,
  source: PgHookSource,
  analyzer: StatementAnalyzer,
  /** Tables `c` names that it does not read (those a write's hooks added: pg-write-hooks.ts follows them as writes). */
  notRead: readonly string[] = [],
): { classification: Classification; note?: string; consulted: boolean } {
  const setOff = viewSetOff(c, source, analyzer, notRead);
  return { ...withEffects(c, setOff), consulted: setOff.length > 0 };
}

/** The relations (unqualified names) judging `c`'s reads needs looked up that are not loaded yet. */
export function unloadedReadTables(c: Classification, source: PgHookSource, analyzer: StatementAnalyzer, notRead: readonly string[] = []): string[] {
  const missing: string[] = [];
  viewSetOff(c, source, analyzer, notRead, (table) => missing.push(table));
  return missing;
}

/** The tables `after` names that `before` did not: those merging what a write sets off added. */
export const addedTables = (before: Classification, after: Classification): string[] => after.tables.filter((t) => !before.tables.includes(t));

/** The relations `c` reads: those it names, but the ones it writes (unqualified names). */
function readNames(c: Classification, notRead: readonly string[]): string[] {
  if (!readsRows(c)) return [];
  const written = new Set([...(c.writes ?? []).map((w) => w.table), ...notRead].map((t) => t.split(".").at(-1)!));
  return [...new Set(c.tables.map((t) => t.split(".").at(-1)!))].filter((t) => !written.has(t));
}

function viewSetOff(c: Classification, source: PgHookSource, analyzer: StatementAnalyzer, notRead: readonly string[], missing?: (table: string) => void): SetOff[] {
  const out: SetOff[] = [];
  for (const name of readNames(c, notRead)) {
    const hooks = source.tableHooks(name);
    if (hooks === undefined) missing?.(name);
    if (!hooks) {
      const why = hooks === undefined ? "which may be a view the gateway could not read in time" : "which may be a view the gateway could not read (its catalog could not be read)";
      out.push({ who: `it reads ${name}`, whose: "", found: { why } });
      continue;
    }
    const who = `it reads ${name}`;
    // Its hierarchy: its rows are rows of its ancestors', and a read of it (without ONLY: stricter) reads its partitions and child tables.
    const family = [...(hooks.ancestors ?? []), ...(hooks.descendants ?? [])];
    if (family.length) out.push({ who, whose: "a table of a partition or inheritance hierarchy that", found: { effects: [{ ...blankClassification("SELECT", ["read"]), tables: family }] } });
    if (!hooks.reads) continue;
    const read: Classification = { ...blankClassification("SELECT", ["read"]), tables: hooks.reads.relations };
    const definitions = definitionEffects(hooks.reads.definitions, analyzer);
    out.push({ who, whose: "a view that", found: "why" in definitions ? definitions : { effects: [read, ...definitions.effects] } });
    for (const fn of userFunctions("why" in definitions ? [] : definitions.effects.flatMap((e) => e.functions)))
      out.push({ who: `${who}, a view that calls ${fn}`, whose: "a function whose body", found: pgRoutineEffects(fn, source, analyzer) });
  }
  return out;
}

/** The views' definitions as statements, their relations left out (the caller has them schema-qualified from the catalog). */
function definitionEffects(definitions: string[], analyzer: StatementAnalyzer): BodyEffects {
  const effects: Classification[] = [];
  for (const definition of definitions) {
    const a = analyzer.analyze(definition);
    if (!a.ok) return { why: `a view whose definition the gateway cannot read (${a.error})` };
    for (const s of a.statements) effects.push({ ...classifyStatement(s), tables: [] });
  }
  return { effects };
}
