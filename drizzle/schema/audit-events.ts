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
    /**
     * The key of the statement's shape (its digit runs each `0`) in audit_statement_shapes, and its digit runs, for
     * free-text search (core/audit/statement-shape.ts). Not chained: both are read off the statement. The key is
     * read as a number (it may lose digits: it is only ever compared in SQL), never as a BigInt, which JSON cannot hold.
     */
    shapeHash: bigint("shape_hash", { mode: "number" }),
    numbers: text("numbers"),
  },
  // The audit log pages newest first by id, so each filter the console offers has an index that
  // ends in id: a filter that matches little reads only its own rows instead of walking the table.
  // Free-text search (a case-insensitive substring of the statement or the message, `ilike
  // '%…%'`) is served by pg_trgm GIN indexes (the planner ORs them): a rare term reads only the
  // rows whose trigrams match; a common one still walks the primary key newest first and stops at
  // the page. The migration creates the extension (trusted since PostgreSQL 13; the embedded
  // database loads PGlite's build of it). A statement's text is not indexed whole, which cost the
  // database more than the rest of the event: its shape is, once per shape (audit_statement_shapes),
  // and its digit runs (`numbers`), short, are, per event (server/audit/text-term.ts reads both).
  // A statement stored without a shape (written by hand) keeps its text's own index. Most events
  // carry no message: its index leaves them out (every row costs a GIN entry even when null, and
  // `ilike` never matches a null, so the planner still uses it).
  (t) => [
    index("audit_events_unshaped_statement_trgm_idx")
      .using("gin", t.statement.op("gin_trgm_ops"))
      .where(sql`${t.shapeHash} is null and ${t.statement} is not null`),
    index("audit_events_shape_idx")
      .on(t.shapeHash, t.id)
      .where(sql`${t.shapeHash} is not null`),
    index("audit_events_numbers_trgm_idx")
      .using("gin", t.numbers.op("gin_trgm_ops"))
      .where(sql`${t.numbers} is not null`),
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

/**
 * Each statement shape the audit has stored (its text with every digit run `0`), once, by the first
 * 64 bits of its sha256: the free-text search finds shapes here, then their events. Written with the
 * events that use it, in one transaction; the audit retention deletes a shape no event uses any more.
 */
export const auditStatementShapes = pgTable(
  "audit_statement_shapes",
  {
    hash: bigint("hash", { mode: "number" }).primaryKey(),
    shape: text("shape").notNull(),
  },
  (t) => [index("audit_statement_shapes_trgm_idx").using("gin", t.shape.op("gin_trgm_ops"))],
);
