import { sql } from "drizzle-orm";
import { pgTable, text, uuid, timestamp, bigint, bigserial, real, index, jsonb, uniqueIndex } from "drizzle-orm/pg-core";

/** One row per command (and per security-relevant event such as a refused sign-in). Append-only. */
export const auditEvents = pgTable(
  "audit_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    action: text("action").notNull(),
    outcome: text("outcome", { enum: ["ok", "error", "denied"] }).notNull(),
    identityId: uuid("identity_id"),
    identityName: text("identity_name"),
    groups: text("groups").array(),
    connectionName: text("connection_name"),
    sessionId: uuid("session_id"),
    protocol: text("protocol"),
    clientAddr: text("client_addr"),
    statement: text("statement"),
    statementKind: text("statement_kind"),
    durationMs: real("duration_ms"),
    rows: bigint("rows", { mode: "number" }),
    sqlstate: text("sqlstate"),
    message: text("message"),
    /** Structured extras, e.g. the before/after of a console change (secrets redacted). */
    details: jsonb("details").$type<Record<string, unknown>>(),
    /** The stream this event belongs to (a gateway instance, gatehouse:console or gatehouse:cli) and its number in it (null: stored before console and CLI events were chained). */
    instance: text("instance"),
    seq: bigint("seq", { mode: "number" }),
    /** sha256 over the previous event's hash of the same instance and this event's columns (core/audit/audit-chain.ts). */
    hash: text("hash"),
  },
  // The audit log pages newest first by id, so each filter the console offers has an index that
  // ends in id: a filter that matches little reads only its own rows instead of walking the table.
  // Free-text search (a case-insensitive substring of the statement or the message, `ilike
  // '%…%'`) is served by pg_trgm GIN indexes, one per column (the planner ORs them): a rare
  // term reads only the rows whose trigrams match; a common one still walks the primary key
  // newest first and stops at the page. The migration creates the extension (trusted since
  // PostgreSQL 13; the embedded database loads PGlite's build of it). Most events carry no message:
  // its index leaves them out (every row costs a GIN entry even when null, and `ilike` never matches
  // a null, so the planner still uses it), which saves each statement's insert that entry.
  (t) => [
    index("audit_events_statement_trgm_idx").using("gin", t.statement.op("gin_trgm_ops")),
    index("audit_events_message_trgm_idx")
      .using("gin", t.message.op("gin_trgm_ops"))
      .where(sql`${t.message} is not null`),
    index("audit_events_at_idx").on(t.at, t.id),
    index("audit_events_session_idx").on(t.sessionId, t.id),
    index("audit_events_identity_id_idx").on(t.identityName, t.id),
    index("audit_events_connection_idx").on(t.connectionName, t.id),
    index("audit_events_action_idx").on(t.action, t.id),
    // A gateway ships its journal at least once; this makes it exactly once (see core/audit/audit-writer.ts).
    uniqueIndex("audit_events_instance_seq_idx").on(t.instance, t.seq),
  ],
);
