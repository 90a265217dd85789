import "server-only";
import type { Db } from "../../drizzle/client";
import { auditEvents } from "../../drizzle/schema/index";
import type { AuditFilter } from "./audit-filter";
import { csvCell } from "./csv";
import { auditOrder, auditWhere, EVENT_COLUMNS, type AuditEventRow } from "./search-audit";
import { textTerm, type TextTerm } from "./text-term";

type AuditRow = AuditEventRow;

const COLUMNS: (keyof AuditRow)[] = [
  "id",
  "at",
  "action",
  "outcome",
  "identityName",
  "groups",
  "connectionName",
  "sessionId",
  "protocol",
  "clientAddr",
  "statement",
  "statementKind",
  "durationMs",
  "rows",
  "sqlstate",
  "message",
  "details",
];

export const csvHeader = () => COLUMNS.join(",") + "\r\n";
export const csvLine = (row: AuditRow) => COLUMNS.map((c) => csvCell(row[c])).join(",") + "\r\n";
export const jsonLine = (row: AuditRow) => JSON.stringify(row) + "\n";

/**
 * The filtered audit events, newest first, as a byte stream read page by page (1,000 rows per
 * query, keyset by id), so an export of millions of rows holds one page in memory at a time and
 * stops querying when the client stops reading.
 */
export function exportAuditStream(db: Db, filter: AuditFilter, format: "csv" | "jsonl"): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let before: number | undefined;
  let started = false;
  let done = false;
  // The text's shapes, found once for the whole export (shapes stored while it runs belong to events newer than its first page).
  let text: TextTerm | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (done) return controller.close();
      let chunk = "";
      if (!started && format === "csv") chunk += csvHeader();
      started = true;
      if (filter.q && !text) text = await textTerm(db, filter.q);
      const rows = await db
        .select(EVENT_COLUMNS)
        .from(auditEvents)
        .where(auditWhere(filter, before, text))
        .orderBy(...auditOrder(filter))
        .limit(1000);
      for (const row of rows) chunk += format === "csv" ? csvLine(row) : jsonLine(row);
      if (rows.length < 1000) done = true;
      else before = rows[rows.length - 1].id;
      if (chunk) controller.enqueue(encoder.encode(chunk));
      if (done) controller.close();
    },
  });
}
