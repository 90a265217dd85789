import { referenceCovered, type SessionMasking } from "../../../core/masking/compile-rules";
import { looksMasked } from "../../../core/masking/masked-shape";
import type { MaskedWrite, UncoveredWrite } from "../../../core/masking/masked-writes";
import type { ColumnRead } from "../../../core/sql/column-lineage";
import type { TargetCatalog } from "./column-catalog";
import { throughViews } from "./result-columns";

export type ViewLookup = Pick<TargetCatalog, "viewsNamed" | "loadViewNames">;
/** What the masking guard reads of the target's catalog: views, and the languages of functions. */
export type GuardCatalog = ViewLookup & Pick<TargetCatalog, "routineLanguages" | "loadRoutineNames" | "builtinRoutines">;

/**
 * Writes through an updatable view over a masked column (`update customer_cards set card = ...`):
 * the view's name is no rule's, so masked-writes.ts, which reads the text, does not see them. Each
 * relation a statement writes into that no rule names is looked up in the target's catalog (its
 * views and the table columns they depend on): through a view over a masked column, every literal
 * and parameter of the statement counts as written into it (by relation, not column: over-refusing
 * rather than under). `unknown`: names not looked up yet that the caller must load before judging,
 * listed only when the statement has a value that could matter (a masked-looking literal, or, for a
 * Parse, a parameter); with `loaded` set they count as views over masked columns (fail closed).
 */
export function viewWrites(uncovered: Array<UncoveredWrite | null>, m: SessionMasking, catalog: ViewLookup, opts: { parse: boolean; loaded: boolean }): { unknown: string[]; writes: MaskedWrite[] } {
  const unknown: string[] = [];
  const writes: MaskedWrite[] = [];
  for (const w of uncovered) {
    if (!w || !(w.literals.some(looksMasked) || (opts.parse && w.params.length > 0))) continue;
    for (const r of w.tables) {
      const over = viewOverMasked(catalog, m, r);
      if (over === undefined && !opts.loaded) unknown.push(r);
      else if (over !== false) writes.push({ column: `${r}.* (a view over a masked column)`, literals: w.literals, params: w.params });
    }
  }
  return { unknown: [...new Set(unknown)], writes };
}

/** Whether a name denotes a view over a masked column: undefined when its views are not looked up yet; true when they could not be read (fail closed). */
function viewOverMasked(catalog: ViewLookup, m: SessionMasking, name: string): boolean | undefined {
  const views = catalog.viewsNamed(name);
  if (views === undefined) return undefined;
  if (views === null) return true;
  return views.some((v) => !v.viewBase || v.viewBase.some((b) => b.kind !== "v" && referenceCovered(m, b.table, b.column) !== undefined));
}

/**
 * Copies out through a view (`insert into c (x) select shout from customer_contacts`, a DO block or a
 * function body that names the view): for copiesMaskedColumns, whether a read of a relation no rule
 * names reaches a masked column through a view, traced as result masking traces a view's columns (an
 * unqualified column through every relation of the statement). A name not looked up yet goes to
 * `unknown` for the caller to load before judging again, and counts as not masked meanwhile; once
 * `loaded`, as masked (fail closed), as does a view the catalog could not read.
 */
export function viewReadTrace(catalog: ViewLookup, m: SessionMasking, relations: string[], loaded: boolean, unknown: Set<string>): (r: ColumnRead) => boolean {
  return (r) => {
    const known: string[] = [];
    for (const name of r.table ? [r.table] : relations) {
      if (catalog.viewsNamed(name) !== undefined) known.push(name);
      else if (loaded) return true;
      else unknown.add(name);
    }
    if (r.table && known.length === 0) return false;
    return throughViews(m, [r], known, catalog) !== undefined;
  };
}

/**
 * For copiesMaskedColumns: whether a function called in a copy is one masking cannot see into, a
 * routine outside pg_catalog written in SQL or a procedural language (its body may read masked
 * columns and return them); C and internal ones (an extension's `uuid_generate_v4`) are not. A name
 * not looked up yet goes to `unknown` and counts as not opaque meanwhile; once `loaded`, as opaque.
 */
export function opaqueRoutine(catalog: GuardCatalog, loaded: boolean, unknown: Set<string>): (fn: string) => boolean {
  return (fn) => {
    const parts = fn.split(".");
    if (parts.length > 1 && parts.at(-2) === "pg_catalog") return false;
    const name = parts.at(-1)!;
    if (parts.length === 1 && catalog.builtinRoutines()?.functions.has(name)) return false; // defined in pg_catalog only: no lookup
    const languages = catalog.routineLanguages(name);
    if (languages === undefined) {
      if (!loaded) unknown.add(name);
      return loaded;
    }
    return languages === null || languages.some((l) => l !== "c" && l !== "internal");
  };
}
