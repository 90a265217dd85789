import { pgTable, text, uuid, timestamp, integer, index, primaryKey } from "drizzle-orm/pg-core";
import { createdAt } from "./columns";

/**
 * A connector: a process beside targets in a private network that dials out to the gateway and
 * carries its target traffic (gateway/connector/). Several processes may run as one connector
 * (same name, their own tokens): they share its streams and take over from each other.
 */
export const connectors = pgTable("connectors", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull().unique(),
  createdAt: createdAt(),
  createdBy: text("created_by"),
});

/** A connector's credentials, issued and revoked like keys: only a SHA-256 is stored. */
export const connectorTokens = pgTable(
  "connector_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    connectorId: uuid("connector_id")
      .notNull()
      .references(() => connectors.id, { onDelete: "cascade" }),
    prefix: text("prefix").notNull(),
    hash: text("hash").notNull().unique(),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
  },
  (t) => [index("connector_tokens_connector_idx").on(t.connectorId)],
);

/**
 * One connector process's link to one gateway instance, while it lasts and after: what the console
 * shows as the connector's state (connected while `disconnectedAt` is null and `lastSeenAt` fresh).
 */
export const connectorLinks = pgTable(
  "connector_links",
  {
    /** Random per link (the connector process names it in its hello; new on every reconnect). */
    id: uuid("id").notNull(),
    instance: text("instance").notNull(),
    connectorId: uuid("connector_id")
      .notNull()
      .references(() => connectors.id, { onDelete: "cascade" }),
    tokenId: uuid("token_id"),
    version: text("version").notNull(),
    hostname: text("hostname").notNull(),
    remoteAddr: text("remote_addr"),
    connectedAt: timestamp("connected_at", { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
    disconnectedAt: timestamp("disconnected_at", { withTimezone: true }),
    /** Streams carried over the link in all, and open now (refreshed with lastSeenAt). */
    streamsTotal: integer("streams_total").notNull().default(0),
    streamsOpen: integer("streams_open").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.id, t.instance] }), index("connector_links_connector_idx").on(t.connectorId, t.lastSeenAt)],
);
