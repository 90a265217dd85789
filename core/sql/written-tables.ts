/**
 * The tables a routine's body (PostgreSQL's SQL or PL/pgSQL) writes, read from its words: masking
 * judges the triggers and rules those writes fire (core/masking/masked-copies.ts).
 */
/** A kind of write, as triggers and rules fire on it. */
export type WriteEvent = "insert" | "update" | "delete";
const IDENT = "([A-Za-z_][\\w$]*(?:\\.[A-Za-z_][\\w$]*)?)";
const WRITTEN: Array<[RegExp, WriteEvent[]]> = [
  [new RegExp(`\\binsert\\s+into\\s+${IDENT}`, "gi"), ["insert"]],
  [new RegExp(`\\bupdate\\s+(?:only\\s+)?${IDENT}(?:\\s+(?:as\\s+)?[A-Za-z_][\\w$]*)?\\s+set\\b`, "gi"), ["update"]],
  [new RegExp(`\\bdelete\\s+from\\s+(?:only\\s+)?${IDENT}`, "gi"), ["delete"]],
  [new RegExp(`\\bmerge\\s+into\\s+${IDENT}`, "gi"), ["insert", "update", "delete"]],
];

/** The tables a routine's body writes, by its words (`insert into t`, `update t set`, `delete from t`, `merge into t`; an upsert anywhere in it counts as an update too). */
export function writtenTables(body: string): Array<{ table: string; events: WriteEvent[] }> {
  const upsert = /\bon\s+conflict\b[\s\S]*?\bdo\s+update\b/i.test(body);
  const out: Array<{ table: string; events: WriteEvent[] }> = [];
  for (const [pattern, events] of WRITTEN)
    for (const m of body.matchAll(pattern)) out.push({ table: m[1].toLowerCase(), events: upsert && events[0] === "insert" && events.length === 1 ? ["insert", "update"] : events });
  return out;
}
