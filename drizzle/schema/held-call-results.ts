import { pgTable, text, uuid, timestamp, index } from "drizzle-orm/pg-core";
import { createdAt } from "./columns";

/**
 * A tool call of Gatehouse's MCP server that a review holds (gateway/protocols/mcp/held-calls.ts):
 * the call waits in the instance that took it, and once it has run (or was refused) its outcome is
 * stored here sealed with GATEHOUSE_SECRET_KEY, so that `review_wait` on any instance (a worker, or
 * another host behind a load balancer) can hand it to the identity that made the call. Deleted after
 * `expires_at` (15 minutes after the outcome, as the instance's own memory keeps it).
 */
export const heldCallResults = pgTable(
  "held_call_results",
  {
    reviewId: uuid("review_id").primaryKey(),
    identityName: text("identity_name").notNull(),
    /** The instance the call waits in. */
    gatewayInstance: text("gateway_instance").notNull(),
    tool: text("tool").notNull(),
    connectionName: text("connection_name").notNull(),
    /** The sealed JSON of the call's outcome; null while the call waits. */
    outcome: text("outcome"),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("held_call_results_expires_idx").on(t.expiresAt)],
);
