import { timestamp } from "drizzle-orm/pg-core";

/** created_at, shared by every table that records when a row was made. */
export const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
