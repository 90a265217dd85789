import { referenceCovered, type SessionMasking } from "../../../core/masking/compile-rules";
import { looksMasked } from "../../../core/masking/masked-shape";
import type { MaskedWrite, UncoveredWrite } from "../../../core/masking/masked-writes";
import type { TargetCatalog } from "./column-catalog";
import { inFamilies } from "./result-columns";

export type ViewLookup = Pick<TargetCatalog, "viewsNamed" | "loadViewNames">;

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
  return views.some((v) => {
    if (!v.viewBase) return true;
    const columns = v.viewBase.filter((b) => b.kind !== "v");
    return [...columns, ...inFamilies(columns, v.viewBase)].some((b) => referenceCovered(m, b.table, b.column) !== undefined);
  });
}
