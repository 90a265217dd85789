import { analyzeMysql } from "../policy/classify-mysql";
import type { Classification } from "../policy/classify-statement";

const WRITE_EVENTS = new Set(["INSERT", "UPDATE", "DELETE"]);

/**
 * The writes of a MySQL text, by the classifier: each statement that writes, its kinds of write as
 * triggers fire on them (`insert`, `update`, `delete`: REPLACE is an insert and a delete, an upsert an
 * insert and an update) and every table it names (`insert into t select ... from u` names both).
 */
export function mysqlWrites(text: string, serverVersion?: number): Array<{ events: string[]; tables: string[] }> {
  const a = analyzeMysql(text, serverVersion);
  if (!a.ok) return [];
  return a.statements.filter((s) => s.classification.classes.includes("write")).map(({ classification: c }) => writesOf(c));
}

/** One classified statement's writes as mysqlWrites reads them (no events when it writes no rows). */
export function writesOf(c: Classification): { events: string[]; tables: string[] } {
  return { events: [c.kind, ...c.runs].filter((k) => WRITE_EVENTS.has(k)).map((k) => k.toLowerCase()), tables: c.tables };
}
