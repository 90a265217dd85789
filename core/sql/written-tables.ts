/**
 * The tables a routine's or trigger's body writes, read from its words: masking judges the triggers
 * and rules those writes fire (core/masking/masked-copies.ts for PostgreSQL's SQL and PL/pgSQL,
 * gateway/protocols/mysql/masked-writes.ts for MySQL's stored programs).
 */

/** A kind of write, as triggers and rules fire on it. */
export type WriteEvent = "insert" | "update" | "delete";

/** A foreign key's ON DELETE / ON UPDATE action that writes the referencing rows (NO ACTION and RESTRICT write none). */
export type ReferentialAction = "CASCADE" | "SET NULL" | "SET DEFAULT";

/** A foreign key that references a table, from `table`, with the actions it takes on its rows. */
export type ForeignKeyCascade = { table: string; onDelete?: ReferentialAction; onUpdate?: ReferentialAction };

/**
 * What these kinds of write to a referenced table do to the referencing rows through one foreign key:
 * a delete deletes them (CASCADE) or updates them (SET NULL, SET DEFAULT), a key's update updates
 * them; null when they do nothing to them. `action` says which, as SQL writes it.
 */
export function cascadedWrites(fk: ForeignKeyCascade, events: readonly WriteEvent[]): { events: WriteEvent[]; action: string } | null {
  const onDelete = events.includes("delete") ? fk.onDelete : undefined;
  const onUpdate = events.includes("update") ? fk.onUpdate : undefined;
  const out = new Set<WriteEvent>([...(onDelete ? [onDelete === "CASCADE" ? "delete" : "update"] : []), ...(onUpdate ? ["update"] : [])] as WriteEvent[]);
  if (!out.size) return null;
  return { events: [...out], action: [onDelete && `ON DELETE ${onDelete}`, onUpdate && `ON UPDATE ${onUpdate}`].filter(Boolean).join(", ") };
}

type Dialect = {
  patterns: Array<[RegExp, WriteEvent[]]>;
  /** A body with an upsert anywhere: its inserts count as updates too. */
  upsert: RegExp;
  /** A name as the catalog keys it. */
  name: (written: string) => string;
};

const PG_NAME = "([A-Za-z_][\\w$]*(?:\\.[A-Za-z_][\\w$]*)?)";
const MYSQL_NAME = "`?([\\w$]+(?:`?\\.`?[\\w$]+)?)";

const DIALECTS: Record<"postgres" | "mysql", Dialect> = {
  // `insert into t`, `update [only] t [alias] set`, `delete from [only] t`, `merge into t`; an upsert is ON CONFLICT ... DO UPDATE.
  postgres: {
    patterns: [
      [new RegExp(`\\binsert\\s+into\\s+${PG_NAME}`, "gi"), ["insert"]],
      [new RegExp(`\\bupdate\\s+(?:only\\s+)?${PG_NAME}(?:\\s+(?:as\\s+)?[A-Za-z_][\\w$]*)?\\s+set\\b`, "gi"), ["update"]],
      [new RegExp(`\\bdelete\\s+from\\s+(?:only\\s+)?${PG_NAME}`, "gi"), ["delete"]],
      [new RegExp(`\\bmerge\\s+into\\s+${PG_NAME}`, "gi"), ["insert", "update", "delete"]],
    ],
    upsert: /\bon\s+conflict\b[\s\S]*?\bdo\s+update\b/i,
    name: (n) => n.toLowerCase(),
  },
  // `insert [low_priority|delayed|high_priority] [ignore] [into] t`, `replace [low_priority|delayed] [into] t` (an insert and a delete),
  // `update [low_priority] [ignore] t [alias] set`, `delete [low_priority] [quick] [ignore] from t`; an upsert is ON DUPLICATE KEY UPDATE.
  mysql: {
    patterns: [
      [new RegExp(`\\binsert\\s+(?:(?:low_priority|delayed|high_priority|ignore)\\s+)*(?:into\\s+)?${MYSQL_NAME}`, "gi"), ["insert"]],
      [new RegExp(`\\breplace\\s+(?:(?:low_priority|delayed)\\s+)*(?:into\\s+)?${MYSQL_NAME}`, "gi"), ["insert", "delete"]],
      [new RegExp(`\\bupdate\\s+(?:(?:low_priority|ignore)\\s+)*${MYSQL_NAME}\`?(?:\\s+(?:as\\s+)?[\\w$]+)?\\s+set\\b`, "gi"), ["update"]],
      [new RegExp(`\\bdelete\\s+(?:(?:low_priority|quick|ignore)\\s+)*from\\s+${MYSQL_NAME}`, "gi"), ["delete"]],
    ],
    upsert: /\bon\s+duplicate\s+key\s+update\b/i,
    name: (n) => n.replace(/`/g, ""),
  },
};

/** The tables a body writes, by its words, each once with every kind of write it gets. */
export function writtenTables(body: string, dialect: "postgres" | "mysql" = "postgres"): Array<{ table: string; events: WriteEvent[] }> {
  const d = DIALECTS[dialect];
  const upsert = d.upsert.test(body);
  const out = new Map<string, Set<WriteEvent>>();
  for (const [pattern, events] of d.patterns)
    for (const m of body.matchAll(pattern)) {
      const table = d.name(m[1]);
      const seen = out.get(table) ?? new Set<WriteEvent>();
      for (const e of upsert && events.length === 1 && events[0] === "insert" ? (["insert", "update"] as const) : events) seen.add(e);
      out.set(table, seen);
    }
  return [...out].map(([table, events]) => ({ table, events: [...events] }));
}
