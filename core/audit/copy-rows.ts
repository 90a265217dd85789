import type { ChainRow } from "./audit-chain";
import { shapeOf } from "./statement-shape";
import { isoTime } from "./iso-time";

/** The columns the writer stores (by COPY, or by the insert in event-store.ts), in the order of its COPY lines (the id and nothing else is left to the table). */
export const STORED_COLUMNS = [
  "at",
  "action",
  "outcome",
  "identity_id",
  "identity_name",
  "groups",
  "connection_name",
  "session_id",
  "protocol",
  "client_addr",
  "statement",
  "statement_kind",
  "duration_ms",
  "rows",
  "sqlstate",
  "message",
  "details",
  "instance",
  "seq",
  "hash",
] as const;

/** What the store adds to each row for the free-text search, read off its statement (statement-shape.ts): not chained. */
export const SEARCH_COLUMNS = ["shape_hash", "numbers"] as const;

export const COPY_EVENTS_SQL = `copy audit_events (${[...STORED_COLUMNS, ...SEARCH_COLUMNS].join(", ")}) from stdin`;

/** The shapes a batch's statements have, by key: stored with the batch (event-store.ts). */
export type BatchShapes = Map<string, string>;

/** A row as stored: the chained columns and the hash over them. */
export type StoredRow = ChainRow & { hash: string };

/**
 * Rows as the lines of COPY's text format, one per row. Each value goes through the column type's
 * input function as the JSON one did through json_populate_recordset (a timestamp as its ISO text,
 * an array as an array literal, details as JSON text), so the database stores the same values and
 * the chain hashes still match what is read back. Each line ends in the row's search columns; the
 * shapes of the statements go into `shapes`, to be stored with the rows.
 */
export function copyLines(rows: StoredRow[], shapes: BatchShapes = new Map()): string {
  let out = "";
  for (const r of rows) {
    const search = r.statement == null ? null : shapeOf(r.statement);
    if (search) shapes.set(search.hash, search.shape);
    out += field(r.at instanceof Date ? isoTime(r.at) : r.at);
    out += "\t" + field(r.action);
    out += "\t" + field(r.outcome);
    out += "\t" + field(r.identity_id);
    out += "\t" + field(r.identity_name);
    out += "\t" + (r.groups == null ? "\\N" : escape(arrayLiteral(r.groups)));
    out += "\t" + field(r.connection_name);
    out += "\t" + field(r.session_id);
    out += "\t" + field(r.protocol);
    out += "\t" + field(r.client_addr);
    out += "\t" + field(r.statement);
    out += "\t" + field(r.statement_kind);
    out += "\t" + (r.duration_ms == null ? "\\N" : String(r.duration_ms));
    out += "\t" + (r.rows == null ? "\\N" : String(r.rows));
    out += "\t" + field(r.sqlstate);
    out += "\t" + field(r.message);
    out += "\t" + (r.details == null ? "\\N" : escape(JSON.stringify(r.details)));
    out += "\t" + field(r.instance);
    out += "\t" + String(r.seq);
    out += "\t" + field(r.hash);
    out += "\t" + (search ? search.hash + "\t" + field(search.numbers) : "\\N\t\\N") + "\n";
  }
  return out;
}

const field = (v: string | null | undefined): string => (v == null ? "\\N" : escape(v));

// COPY text format: backslash, and the characters that end a field or a line, escaped.
const SPECIAL = /[\\\n\r\t]/;
const SPECIAL_ALL = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };
const escape = (s: string): string => (SPECIAL.test(s) ? s.replace(SPECIAL_ALL, (c) => ESCAPES[c]) : s);

// Every element quoted (so commas, braces, spaces and the word NULL stay text), with \ and " escaped inside.
const arrayLiteral = (items: string[]): string => "{" + items.map((s) => '"' + s.replace(/[\\"]/g, (c) => "\\" + c) + '"').join(",") + "}";
