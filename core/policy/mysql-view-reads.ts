import { writtenTables } from "../sql/written-tables";
import { analyzeMysql } from "./classify-mysql";
import type { Classification } from "./classify-statement";
import { withEffects, type SetOff } from "./merge-classification";
import { functionEffects, nonBuiltin } from "./mysql-routine-effects";
import { bare, type TriggerSource } from "./mysql-trigger-effects";
import { readsRows } from "./reads-rows";

/**
 * What reading a MySQL view reads: the tables its definition reads. Judged by its text alone,
 * `select * from customer_emails` reads customer_emails, whatever table the view selects from; a
 * rule on reading `customers` would not meet it. For each relation a statement names and does not
 * write into (a write through a view is mysql-trigger-effects.ts's), each view of that name
 * (information_schema.VIEWS, any database unless qualified) is read as a statement: its tables, and
 * views among them in turn, VIEW_NESTING levels down (deeper counts as code the gateway cannot see); the stored functions it calls with what their bodies
 * run. A view the gateway could not look up, or whose definition it cannot read (MySQL shows it only
 * to an account with SHOW VIEW), counts as code the gateway cannot see: write, ddl and privileges
 * (fail closed).
 */

/** How many levels of views over views are followed; the gateway's view catalog loads as many (view-rules.ts MAX_NESTING). */
export const VIEW_NESTING = 8;

/**
 * `c` with what the views it reads read merged in (a copy; `c` itself when it reads none), and a note
 * for a person. `text` is the statement as the server runs it: the tables its words write into are
 * not reads. Without a catalog (null) no view is known and none is added.
 */
export function withViewReadEffects(c: Classification, source: TriggerSource | null, serverVersion?: number, text = ""): { classification: Classification; note?: string } {
  if (!source?.viewsNamed || !c.tables.length || !readsRows(c)) return { classification: c };
  const written = new Set(writtenTables(text, "mysql").map((w) => bare(w.table)));
  const setOff: SetOff[] = [];
  const seen = new Set<string>();
  const queue = c.tables.filter((t) => !written.has(bare(t))).map((table) => ({ table, via: "it reads", depth: 0 }));
  for (let r = queue.shift(); r; r = queue.shift()) {
    const table = r.table.replace(/`/g, "");
    if (seen.has(table.toLowerCase())) continue;
    seen.add(table.toLowerCase());
    const who = `${r.via} ${table}`;
    const views = source.viewsNamed(table);
    if (!views) {
      setOff.push({ who, whose: "", found: { why: views === null ? "which may be a view the gateway could not read" : "which may be a view the gateway has not read" } });
      continue;
    }
    for (const v of views) {
      const a = analyzeMysql(v.definition, serverVersion);
      if (!v.definition.trim() || !a.ok) {
        const why = a.ok ? "a view whose definition the connection's account cannot see (SHOW VIEW)" : `a view whose definition the gateway cannot read (${a.error})`;
        setOff.push({ who, whose: "", found: { why } });
        continue;
      }
      const effects = a.statements.map((s) => s.classification);
      setOff.push({ who, whose: "a view that", found: { effects } });
      for (const fn of nonBuiltin(effects.flatMap((e) => e.functions)))
        setOff.push({ who: `${who}, a view that calls ${fn}`, whose: "a stored function whose body", found: functionEffects(fn, source, serverVersion) });
      const bases = effects.flatMap((e) => e.tables);
      if (r.depth < VIEW_NESTING) for (const base of bases) queue.push({ table: base, via: `${who}, a view over`, depth: r.depth + 1 });
      else if (bases.length) setOff.push({ who, whose: "", found: { why: `a view over views nested more than ${VIEW_NESTING} levels deep, which the gateway does not follow` } });
    }
  }
  return withEffects(c, setOff);
}
