import { pgTable, text, uuid, timestamp, integer } from "drizzle-orm/pg-core";
import { createdAt } from "./columns";
import { identities } from "./identities";

/**
 * A browser terminal: the console issues a one-time ticket for a signed-in person's own identity
 * and a connection; the gateway's WebSocket takes it once (`openedAt`) and then logs in to its own
 * listener with `credentialHash`'s secret, which is valid only while the terminal is open.
 * Only SHA-256 hashes of both secrets are stored.
 */
export const terminalTickets = pgTable("terminal_tickets", {
  id: uuid("id").primaryKey().defaultRandom(),
  ticketHash: text("ticket_hash").notNull().unique(),
  credentialHash: text("credential_hash").unique(),
  identityId: uuid("identity_id")
    .notNull()
    .references(() => identities.id, { onDelete: "cascade" }),
  /** The person's groups when the console issued it (their IdP groups and Gatehouse memberships). */
  groups: text("groups").array().notNull(),
  connectionName: text("connection_name").notNull(),
  consoleUser: text("console_user").notNull(),
  cols: integer("cols").notNull().default(120),
  rows: integer("rows").notNull().default(32),
  createdAt: createdAt(),
  /** The ticket must be used before this; an open terminal's credential dies at `closedAt` or after 8 hours. */
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  openedAt: timestamp("opened_at", { withTimezone: true }),
  closedAt: timestamp("closed_at", { withTimezone: true }),
});
