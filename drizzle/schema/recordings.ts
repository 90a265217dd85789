import { pgTable, uuid, integer, text, timestamp, bigint, jsonb, primaryKey } from "drizzle-orm/pg-core";
import { sessions } from "./sessions";

/**
 * A terminal recording (asciicast v2) of a session: this row is its header, `recording_chunks`
 * its events. Chunks are written as the session runs (at least every second), so a gateway crash
 * loses at most the last second. Output is stored masked (the connection's detectors).
 */
export const recordings = pgTable("recordings", {
  sessionId: uuid("session_id")
    .primaryKey()
    .references(() => sessions.id, { onDelete: "cascade" }),
  width: integer("width").notNull(),
  height: integer("height").notNull(),
  startedAt: timestamp("started_at", { withTimezone: true }).notNull(),
  title: text("title"),
  env: jsonb("env").$type<Record<string, string>>(),
  /** Bytes of output recorded, and the number of events. */
  bytes: bigint("bytes", { mode: "number" }).notNull().default(0),
  events: integer("events").notNull().default(0),
  endedAt: timestamp("ended_at", { withTimezone: true }),
});

/** Events of a recording, in order: `data` is asciicast v2 event lines (`[t, "o"|"i"|"r", text]`) joined by "\n". */
export const recordingChunks = pgTable(
  "recording_chunks",
  {
    sessionId: uuid("session_id")
      .notNull()
      .references(() => recordings.sessionId, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    data: text("data").notNull(),
    /** Time (ms from the start) of the chunk's last event, for paging a long recording. */
    until: integer("until_ms").notNull(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.seq] })],
);
