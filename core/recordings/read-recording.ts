import { and, asc, eq, gt } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { recordingChunks, recordings } from "../../drizzle/schema/index";

export type RecordingInfo = typeof recordings.$inferSelect;

export async function getRecording(db: Db, sessionId: string): Promise<RecordingInfo | null> {
  const [row] = await db.select().from(recordings).where(eq(recordings.sessionId, sessionId));
  return row ?? null;
}

/** The asciicast v2 header line of a recording. */
export function asciicastHeader(r: RecordingInfo): string {
  return JSON.stringify({ version: 2, width: r.width, height: r.height, timestamp: Math.floor(r.startedAt.getTime() / 1000), title: r.title ?? undefined, env: r.env ?? undefined });
}

/** A recording's event lines, in order, read 200 chunks at a time (memory stays flat for a long session). */
export async function* recordingEvents(db: Db, sessionId: string, afterSeq = -1): AsyncGenerator<{ seq: number; lines: string }> {
  let after = afterSeq;
  for (;;) {
    const rows = await db
      .select({ seq: recordingChunks.seq, data: recordingChunks.data })
      .from(recordingChunks)
      .where(and(eq(recordingChunks.sessionId, sessionId), gt(recordingChunks.seq, after)))
      .orderBy(asc(recordingChunks.seq))
      .limit(200);
    for (const r of rows) yield { seq: r.seq, lines: r.data };
    if (rows.length < 200) return;
    after = rows.at(-1)!.seq;
  }
}

/** Writes a whole recording as an asciicast v2 file, line by line; false when the session has none. */
export async function writeRecording(db: Db, sessionId: string, write: (line: string) => void): Promise<boolean> {
  const r = await getRecording(db, sessionId);
  if (!r) return false;
  write(asciicastHeader(r));
  for await (const c of recordingEvents(db, sessionId)) for (const line of c.lines.split("\n")) write(line);
  return true;
}
