import { pgTable, text, uuid, jsonb, timestamp, primaryKey } from "drizzle-orm/pg-core";
import { createdAt } from "./columns";
import { groups } from "./groups";
import { connectors } from "./connectors";

/**
 * A target the gateway fronts. `settings` holds the non-secret part (host, port, database, user...);
 * `secretEnc` the encrypted secret part (AES-256-GCM, see core/crypto/secret-box.ts).
 */
export const connections = pgTable("connections", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull().unique(),
  type: text("type", { enum: ["postgres", "mysql", "ssh", "http", "kubernetes", "mcp"] }).notNull(),
  settings: jsonb("settings").$type<Record<string, string | number | boolean>>().notNull(),
  secretEnc: text("secret_enc"),
  /** Reached through this connector's streams instead of dialled by the gateway (gateway/connector/). */
  connectorId: uuid("connector_id").references(() => connectors.id, { onDelete: "restrict" }),
  createdAt: createdAt(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Members of a group may use a connection. */
export const grants = pgTable(
  "grants",
  {
    groupId: uuid("group_id")
      .notNull()
      .references(() => groups.id, { onDelete: "cascade" }),
    connectionId: uuid("connection_id")
      .notNull()
      .references(() => connections.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.connectionId] })],
);
