import { pgTable, text, uuid, timestamp, integer, index } from "drizzle-orm/pg-core";
import { createdAt } from "./columns";
import { connections } from "./connections";
import { identities } from "./identities";

export const ACCESS_REQUEST_STATUSES = ["pending", "approved", "rejected", "cancelled"] as const;

/**
 * Just-in-time access: an identity asks to use a connection for a while; once approved, it may
 * until `accessExpiresAt` (or until revoked), and the gateway ends its live sessions then.
 */
export const accessRequests = pgTable(
  "access_requests",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    identityId: uuid("identity_id")
      .notNull()
      .references(() => identities.id, { onDelete: "cascade" }),
    identityName: text("identity_name").notNull(),
    connectionId: uuid("connection_id")
      .notNull()
      .references(() => connections.id, { onDelete: "cascade" }),
    connectionName: text("connection_name").notNull(),
    durationSeconds: integer("duration_seconds").notNull(),
    reason: text("reason").notNull(),
    /** Who filed it: the console e-mail, or "cli". */
    requestedBy: text("requested_by").notNull(),
    status: text("status", { enum: ACCESS_REQUEST_STATUSES }).notNull().default("pending"),
    decidedBy: text("decided_by"),
    decisionReason: text("decision_reason"),
    createdAt: createdAt(),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
    accessExpiresAt: timestamp("access_expires_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [index("access_requests_grant_idx").on(t.identityId, t.connectionId, t.accessExpiresAt), index("access_requests_status_idx").on(t.status, t.createdAt)],
);
