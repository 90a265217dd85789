import { referenceCovered, type CompiledColumnRule, type SessionMasking } from "../../../core/masking/compile-rules";
import type { ColumnReference } from "../../../core/sql/mysql-columns";
import { VIEW_NESTING } from "../../../core/policy/mysql-view-reads";
import type { ViewCatalog } from "./view-catalog";

/** Views over views are traced this deep (as guardrails follow them); past it, a column is masked (fail closed). */
export const MAX_NESTING = VIEW_NESTING;

/** The rule of a column whose source cannot be resolved (a view the gateway cannot read): masked whole, fail closed. */
export const UNRESOLVED: CompiledColumnRule = { rule: { column: "unresolved", style: "redact" }, schema: null, table: /^$/, column: /^$/ };

/**
 * The rule covering what `reads` read: a covered column itself, or one a view column among them
 * reads, traced through the view's definition and the views it reads in turn (down to
 * MAX_NESTING). An unqualified column may belong to any of `relations` (the text's). A view whose
 * definition the catalog does not have (unreadable: the gateway's account lacks SHOW VIEW on it, or
 * the catalog could not be read, or a definition node-sql-parser cannot parse) gives UNRESOLVED:
 * every column read through it is masked (fail closed); so does a column a stored function computes.
 */
export function ruleThroughViews(m: SessionMasking, views: ViewCatalog | null, reads: ColumnReference[], relations: string[], depth = 0): CompiledColumnRule | undefined {
  for (const r of reads) {
    const hit = referenceCovered(m, r.table, r.column);
    if (hit) return hit;
  }
  if (!views) return undefined;
  for (const r of reads) {
    for (const name of r.table ? [r.table] : relations) {
      const found = views.viewsNamed(name);
      if (!found) return UNRESOLVED;
      for (const v of found) {
        const columns = views.columnsOf(v);
        if (!columns) return UNRESOLVED;
        for (const c of columns) {
          if (r.column !== "*" && c.name !== r.column.toLowerCase()) continue;
          // A column a stored function computes (`create view v as select id, first_code() as f`: f): its body reads what the definition does not name.
          if (views.storedFunctionIn(v, c.name)) return UNRESOLVED;
          const hit = depth >= MAX_NESTING ? UNRESOLVED : ruleThroughViews(m, views, c.reads, [], depth + 1);
          if (hit) return hit;
        }
      }
    }
  }
  return undefined;
}
