import "server-only";
import { and, asc, desc, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../drizzle/client";
import { auditEvents, recordingChunks, sessions } from "../../drizzle/schema/index";
import { getRecording } from "../../core/recordings/read-recording";
import { AppError } from "../errors/app-error";

export const getRecordingOverviewInput = z.object({ id: z.string().uuid() });

const MAX_COMMANDS = 1000;

export type RecordedCommand = { id: number; at: Date; /** Seconds from the start of the recording. */ offset: number; statement: string; outcome: string; message: string | null };

/**
 * What the session page needs to replay a terminal session: the recording's size and length, and
 * the commands typed or run in it (audit events with action `command`; for a browser psql terminal,
 * the statements of its Postgres sessions) placed on its time line.
 * `recording` is null for a session without a terminal (a Postgres session).
 */
export async function getRecordingOverview(db: Db, input: z.infer<typeof getRecordingOverviewInput>) {
  const [session] = await db.select({ id: sessions.id, protocol: sessions.protocol }).from(sessions).where(eq(sessions.id, input.id));
  if (!session) throw new AppError("NOT_FOUND", "no such session");
  const recording = await getRecording(db, input.id);
  if (!recording) return { recording: null, commands: [] as RecordedCommand[], commandsTruncated: false };
  const [last] = await db.select({ until: recordingChunks.until }).from(recordingChunks).where(eq(recordingChunks.sessionId, input.id)).orderBy(desc(recordingChunks.seq)).limit(1);
  const select = { id: auditEvents.id, at: auditEvents.at, statement: auditEvents.statement, outcome: auditEvents.outcome, message: auditEvents.message };
  const rows =
    session.protocol === "terminal"
      ? // A browser psql terminal's commands are the statements of the Postgres sessions it opened (they name it as their application).
        await db
          .select(select)
          .from(auditEvents)
          .where(
            and(
              inArray(
                auditEvents.sessionId,
                db
                  .select({ id: sessions.id })
                  .from(sessions)
                  .where(eq(sessions.clientApp, `gatehouse-terminal-${input.id}`)),
              ),
              eq(auditEvents.action, "statement"),
            ),
          )
          .orderBy(asc(auditEvents.id))
          .limit(MAX_COMMANDS + 1)
      : await db
          .select(select)
          .from(auditEvents)
          .where(and(eq(auditEvents.sessionId, input.id), eq(auditEvents.action, "command")))
          // Ordered as the (session_id, id) index is, so the read is a range of it.
          .orderBy(asc(auditEvents.sessionId), asc(auditEvents.id))
          .limit(MAX_COMMANDS + 1);
  const start = recording.startedAt.getTime();
  const commands: RecordedCommand[] = rows.slice(0, MAX_COMMANDS).map((r) => ({
    id: r.id,
    at: r.at,
    offset: Math.max(0, (r.at.getTime() - start) / 1000),
    // A line typed at a password prompt has no text, only why (gateway/pipeline/shell-lines/secret-prompt.ts).
    statement: r.statement ?? (r.message ? `(${r.message})` : ""),
    outcome: r.outcome,
    message: r.message,
  }));
  return {
    recording: {
      width: recording.width,
      height: recording.height,
      startedAt: recording.startedAt,
      endedAt: recording.endedAt,
      title: recording.title,
      events: recording.events,
      bytes: recording.bytes,
      /** Seconds, up to the last saved event. */
      duration: (last?.until ?? 0) / 1000,
    },
    commands,
    commandsTruncated: rows.length > MAX_COMMANDS,
  };
}
