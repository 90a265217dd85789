import { pgTable, uuid, jsonb, timestamp } from "drizzle-orm/pg-core";
import { connections } from "./connections";

/** A connection's masking rules (validated by core/masking/masking-rules.ts before they are stored). */
export const maskingRules = pgTable("masking_rules", {
  connectionId: uuid("connection_id")
    .primaryKey()
    .references(() => connections.id, { onDelete: "cascade" }),
  rules: jsonb("rules").$type<Record<string, unknown>>().notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
