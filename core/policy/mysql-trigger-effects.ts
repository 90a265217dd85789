import { writesOf } from "../sql/mysql-writes";
import { cascadedWrites, writtenTables, type ForeignKeyCascade, type WriteEvent } from "../sql/written-tables";
import { analyzeMysql } from "./classify-mysql";
import type { Classification } from "./classify-statement";
import { writeEffects } from "./write-effects";
import { withEffects, type SetOff } from "./merge-classification";
import { codeEffects, type RoutineSource } from "./mysql-routine-effects";

/**
 * What a MySQL write sets off besides itself: the target owner's triggers on the tables it writes.
 * Judged by its text alone, `insert into jobs values (1)` is an INSERT into jobs whatever jobs'
 * trigger deletes. Each trigger for the kinds of write the statement does (REPLACE is an insert and
 * a delete, an upsert an insert and an update) on every table the statement names (over-matching is
 * stricter, never laxer) is read as a called routine's body is (core/policy/mysql-routine-effects.ts),
 * with the routines it calls; and the triggers of the tables those bodies write (by their words),
 * DEPTH levels down; a write into an updatable view writes the tables its definition reads, whose
 * triggers fire in turn; a delete or an update of a referenced table writes the rows of the tables
 * whose foreign keys cascade from it (InnoDB fires no triggers for those). Triggers, views and foreign
 * keys that cannot be read count as code the gateway cannot see: write, ddl and privileges, as a
 * CALL does (fail closed).
 */

/** The target's stored routines and triggers as the gateway's catalog of the connection knows them (gateway/protocols/mysql/view-catalog.ts). */
export type TriggerSource = RoutineSource & {
  /** The code a write of these kinds (insert, update, delete) to a table runs besides itself: [] when none, null when unreadable, undefined when not loaded. */
  triggerCode(table: string, events: readonly string[]): string[] | null | undefined;
  /** The foreign keys from other tables whose actions write their rows when a row of this one is deleted or its key updated: null when unreadable, undefined when not loaded. */
  cascadesOf?(table: string): ForeignKeyCascade[] | null | undefined;
  /** The views a name may denote (any database unless qualified): [] when none, null when unreadable, undefined when not loaded. */
  viewsNamed?(name: string): Array<{ definition: string }> | null | undefined;
};

/** A table name as the catalogs key it: unquoted, unqualified, lower case. */
export const bare = (name: string) => name.replace(/`/g, "").toLowerCase().split(".").at(-1)!;

/** How many levels of tables written by triggers are followed. */
const DEPTH = 2;

/**
 * `c` with what the triggers of the tables it writes run merged in (a copy; `c` itself when they add
 * nothing), and a note for a person. Without a catalog (null) no trigger is known and none is added.
 */
export function withTriggerEffects(
  c: Classification,
  source: TriggerSource | null,
  serverVersion?: number,
  /** The statement as the server runs it: the tables its words write into (`insert into v`) are looked up as views. */
  text = "",
): { classification: Classification; note?: string } {
  const { events, tables } = writesOf(c);
  if (!source || !events.length) return { classification: c };
  const setOff: SetOff[] = [];
  const seen = new Set<string>();
  // The tables its words write into; a multi-table UPDATE or DELETE (`update a join b ... set b.x = 1`), whose words do not say which, writes any it names (stricter).
  const words = writtenTables(text, "mysql");
  const targets = new Set(words.map((w) => bare(w.table)));
  const every = text !== "" && words.length === 0;
  const queue: Array<{ table: string; events: readonly string[]; via: string; depth: number; target: boolean; cascaded?: boolean }> = tables.map((table) => ({
    table,
    events,
    via: "it writes",
    depth: 0,
    target: every || targets.has(bare(table)),
  }));
  for (let w = queue.shift(); w; w = queue.shift()) {
    const table = w.table.replace(/`/g, "");
    const fresh = w.events.filter((e) => !seen.has(`${table.toLowerCase()}\0${e}`));
    if (!fresh.length) continue;
    for (const e of fresh) seen.add(`${table.toLowerCase()}\0${e}`);
    const who = `${w.via} ${table}`;
    // A write into a view (one the server can update) writes the rows of the tables it reads: their triggers fire too.
    if (w.target && source.viewsNamed) {
      const views = source.viewsNamed(table);
      if (!views) setOff.push({ who, whose: "", found: { why: views === null ? "which may be a view the gateway could not read" : "which may be a view the gateway has not read" } });
      for (const v of views ?? []) {
        const a = analyzeMysql(v.definition, serverVersion);
        if (!a.ok) setOff.push({ who, whose: "", found: { why: `a view whose definition the gateway cannot read (${a.error})` } });
        for (const base of new Set(a.ok ? a.statements.flatMap((s) => s.classification.tables) : [])) {
          setOff.push({ who, whose: "a view that", found: { effects: writeEffects(fresh, base) } });
          queue.push({ table: base, events: fresh, via: `${who}, a view over`, depth: w.depth, target: true });
        }
      }
    }
    // A foreign key's action writes the referencing rows; InnoDB runs no triggers for what it cascades.
    const cascades = source.cascadesOf?.(table);
    if (cascades === null) setOff.push({ who, whose: "", found: { why: "whose foreign keys the gateway could not read" } });
    for (const fk of cascades ?? []) {
      const cascaded = cascadedWrites(fk, fresh as WriteEvent[]);
      if (!cascaded) continue;
      setOff.push({ who, whose: `whose rows ${fk.table} references with ${cascaded.action}, which`, found: { effects: writeEffects(cascaded.events, fk.table) } });
      queue.push({ table: fk.table, events: cascaded.events, via: `${who}, whose foreign key action writes`, depth: w.depth, target: false, cascaded: true });
    }
    if (w.cascaded) continue;
    const code = source.triggerCode(table, fresh);
    if (code === undefined) setOff.push({ who, whose: "", found: { why: "whose triggers the gateway has not read (it could not reach the target's catalog)" } });
    else if (code === null)
      setOff.push({
        who,
        whose: "",
        found: { why: "whose triggers (or a routine they call) the gateway could not read (the connection's account may not see them, or the catalog could not be read)" },
      });
    if (!code?.length) continue;
    const found = codeEffects(code, source, serverVersion);
    setOff.push({ who, whose: "whose trigger", found: "why" in found ? { why: `whose trigger (or a routine it calls) is code ${found.why}` } : found });
    if (w.depth < DEPTH)
      for (const next of writtenTables(code.join("\n"), "mysql"))
        if (next.table.toLowerCase() !== table.toLowerCase()) queue.push({ table: next.table, events: next.events, via: `${who}, whose trigger writes`, depth: w.depth + 1, target: true });
  }
  return withEffects(c, setOff);
}
