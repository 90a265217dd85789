import type { Classification } from "./classify-statement";
import { withEffects, type SetOff } from "./merge-classification";
import { pgRoutineEffects, type PgRoutineSource } from "./pg-routine-effects";
import type { StatementAnalyzer } from "../sql/statement-analyzer";

/**
 * What a PostgreSQL DDL statement sets off through the target's event triggers: judged by its text
 * alone, `create table t (id int)` creates a table, whatever the function an event trigger on
 * ddl_command_end runs (it may write any table, grant, or run SQL built at run time).
 *
 * A statement fires them when it (or a routine it calls) runs DDL or GRANT/REVOKE: each enabled event
 * trigger's function (pg_event_trigger, but `login` ones, which fire at connection, not for a
 * statement) is then read as a called routine is. Its event (ddl_command_start, ddl_command_end,
 * sql_drop, table_rewrite) and its tag filter are not read: every one counts for every such statement
 * (over-matching is stricter, never laxer). Event triggers the gateway could not read count as code it
 * cannot see (write, ddl and privileges: fail closed).
 */

export type EventTriggerSource = PgRoutineSource & {
  /** The functions of the target's enabled event triggers: null when they could not be read, undefined when not loaded (no method: none are looked up). */
  eventTriggers?(): string[] | null | undefined;
};

/** Whether a statement runs what event triggers fire for (DDL, GRANT and REVOKE). */
export const firesEventTriggers = (c: Classification): boolean => c.classes.includes("ddl") || c.classes.includes("privileges");

/**
 * `c` with what the event triggers it fires run merged in, their functions among those it calls (so
 * the tables their bodies write are followed as a call's are), a note for a person, and whether any
 * were consulted (a verdict that depends on them may change with the target's catalog).
 */
export function withEventTriggerEffects(c: Classification, source: EventTriggerSource, analyzer: StatementAnalyzer): { classification: Classification; note?: string; consulted: boolean } {
  if (!source.eventTriggers || !firesEventTriggers(c)) return { classification: c, consulted: false };
  const functions = source.eventTriggers();
  const setOff: SetOff[] = [];
  if (!functions) {
    const why = functions === undefined ? "whose event triggers the gateway could not read in time" : "whose event triggers the gateway could not read (its catalog could not be read)";
    setOff.push({ who: "it runs DDL", whose: "", found: { why } });
  } else for (const fn of functions) setOff.push({ who: `it runs DDL, which fires the event trigger function ${fn}`, whose: "a function whose body", found: pgRoutineEffects(fn, source, analyzer) });
  if (setOff.length === 0) return { classification: c, consulted: false };
  const merged = withEffects(c, setOff);
  const classification = merged.classification === c ? { ...c, functions: [...c.functions] } : merged.classification;
  for (const fn of functions ?? []) if (!classification.functions.includes(fn)) classification.functions.push(fn);
  return { classification, note: merged.note, consulted: true };
}
