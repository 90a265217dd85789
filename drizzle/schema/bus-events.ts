import { pgTable, text, timestamp, bigserial, jsonb } from "drizzle-orm/pg-core";

/**
 * Live events between the console and gateway instances ("key revoked", "session killed"...).
 * Rows are the source of truth; NOTIFY is only a wake-up, so instances on an embedded database
 * (where LISTEN does not cross connections) still see every event by polling.
 */
export const busEvents = pgTable("bus_events", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
  topic: text("topic").notNull(),
  payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
});
