import { pgTable, text, timestamp, bigint } from "drizzle-orm/pg-core";

/**
 * How far each SIEM sink has delivered the audit log (core/audit/sinks/): the id of the last event
 * it confirmed, and its state for operators (events behind, last error). The delivering instance
 * holds the row's lock while it sends, so several gateway instances never send the same batch.
 */
export const auditSinkCursors = pgTable("audit_sink_cursors", {
  name: text("name").primaryKey(),
  lastId: bigint("last_id", { mode: "number" }).notNull(),
  deliveredAt: timestamp("delivered_at", { withTimezone: true }),
  /** Events written after the cursor when last looked at (approximate: ids, not rows). */
  backlog: bigint("backlog", { mode: "number" }).notNull().default(0),
  lastError: text("last_error"),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
export type AuditSinkCursor = typeof auditSinkCursors.$inferSelect;
