/**
 * What the masking guard reads of the target's routines, triggers and rules (column-catalog.ts
 * loads them, copy-catalog.ts follows them): the names a body calls, how deep calls are followed,
 * and the kinds of write a trigger or a rule fires on.
 */
import type { WriteEvent } from "../../../core/sql/written-tables";
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
