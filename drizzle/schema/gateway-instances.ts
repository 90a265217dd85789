import { pgTable, text, timestamp, integer } from "drizzle-orm/pg-core";

/**
 * One row per running gateway instance: its lease on the instance id (gateway/instance-lock.ts).
 * Two processes with the same GATEHOUSE_INSTANCE would interleave one journal and one audit chain,
 * so the second refuses to start while the holder's heartbeat is fresh (or, on the same host, while
 * its process is alive). `token` is random per process: only the holder refreshes or deletes the row.
 */
export const gatewayInstances = pgTable("gateway_instances", {
  instance: text("instance").primaryKey(),
  token: text("token").notNull(),
  host: text("host").notNull(),
  pid: integer("pid").notNull(),
  /** The holder's process start time on its host (Linux: /proc/<pid>/stat), so a reused pid is not taken for the holder. */
  procStart: text("proc_start").notNull(),
  startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
  heartbeatAt: timestamp("heartbeat_at", { withTimezone: true }).notNull().defaultNow(),
});
