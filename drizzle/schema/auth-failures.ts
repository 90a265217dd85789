import { pgTable, text, timestamp, integer, primaryKey } from "drizzle-orm/pg-core";

/**
 * Failed sign-ins counted per window, shared by every gateway instance (gateway/pipeline/auth-throttle.ts):
 * by source address (`addr`) and by the claimed credential (`key`: a Gatehouse key's stored prefix).
 */
export const authFailures = pgTable(
  "auth_failures",
  {
    scope: text("scope").notNull(),
    subject: text("subject").notNull(),
    windowStart: timestamp("window_start", { withTimezone: true }).notNull(),
    failures: integer("failures").notNull().default(0),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.subject, t.windowStart] })],
);
