import { pgTable, text, uuid, timestamp, bigint, bigserial, jsonb, index } from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";

/** One client session through the gateway, whatever the protocol. Identity fields are copied so the record outlives renames. */
export const sessions = pgTable(
  "sessions",
  {
    id: uuid("id").primaryKey(),
    identityId: uuid("identity_id"),
    identityName: text("identity_name").notNull(),
    groups: text("groups").array().notNull(),
    connectionId: uuid("connection_id"),
    connectionName: text("connection_name").notNull(),
    protocol: text("protocol").notNull(),
    clientAddr: text("client_addr"),
    clientApp: text("client_app"),
    clientUser: text("client_user"),
    gatewayInstance: text("gateway_instance").notNull(),
    status: text("status", { enum: ["active", "closed", "failed"] })
      .notNull()
      .default("active"),
    endReason: text("end_reason"),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp("ended_at", { withTimezone: true }),
    bytesIn: bigint("bytes_in", { mode: "number" }).notNull().default(0),
    bytesOut: bigint("bytes_out", { mode: "number" }).notNull().default(0),
  },
  (t) => [
    index("sessions_started_idx").on(t.startedAt),
    index("sessions_identity_idx").on(t.identityName),
    // A browser terminal finds the Postgres sessions it opened (they name it as their application): the session list counts their statements.
    index("sessions_terminal_app_idx")
      .on(t.clientApp)
      .where(sql`${t.clientApp} like 'gatehouse-terminal-%'`),
  ],
);

/** Timeline entries of a session that are not audit events (terminal output chunks, resizes, lifecycle). */
export const sessionEvents = pgTable(
  "session_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    sessionId: uuid("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    kind: text("kind").notNull(),
    data: jsonb("data"),
  },
  (t) => [index("session_events_session_idx").on(t.sessionId, t.id)],
);
