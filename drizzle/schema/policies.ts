import { pgTable, uuid, jsonb, timestamp } from "drizzle-orm/pg-core";
import { connections } from "./connections";

/** A connection's guardrail policy (validated by core/policy/policy.ts before it is stored). */
export const policies = pgTable("policies", {
  connectionId: uuid("connection_id")
    .primaryKey()
    .references(() => connections.id, { onDelete: "cascade" }),
  policy: jsonb("policy").$type<Record<string, unknown>>().notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
