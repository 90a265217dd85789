import "server-only";
import { eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { sessions } from "../../drizzle/schema/index";
import { asciicastHeader, getRecording, recordingEvents, type RecordingInfo } from "../../core/recordings/read-recording";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";

/** `export`: the .cast download; `replay`: the console's player loading it. Both are audited. */
export type RecordingPurpose = "export" | "replay";

/**
 * A session's recording as an asciicast v2 file for someone in the console, audited as
 * `console.session.export` (or `.replay` when the session page's player loads it). Throws NOT_FOUND
 * when the session does not exist or has no terminal recording (a Postgres session).
 */
export async function exportRecording(db: Db, input: { id: string; actor: string; purpose: RecordingPurpose }): Promise<ReadableStream<Uint8Array>> {
  const [session] = await db.select().from(sessions).where(eq(sessions.id, input.id));
  if (!session) throw new AppError("NOT_FOUND", "no such session");
  const recording = await getRecording(db, input.id);
  if (!recording) throw new AppError("NOT_FOUND", `session ${input.id} has no terminal recording (a ${session.protocol} session is kept as its statement timeline in the audit log)`);
  await recordConsoleEvent(db, {
    action: `console.session.${input.purpose}`,
    outcome: "ok",
    actor: input.actor,
    connectionName: session.connectionName,
    target: input.id,
    message: `${input.purpose === "export" ? "exported" : "replayed"} the terminal recording of ${session.identityName}'s session`,
  });
  return recordingStream(db, recording);
}

/**
 * The same lines `writeRecording` (and `gatehouse sessions export`) writes, as a byte stream that
 * reads the next page of chunks only when the client has taken the last one, so a slow download of
 * a long session holds little in memory.
 */
function recordingStream(db: Db, recording: RecordingInfo): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const chunks = recordingEvents(db, recording.sessionId);
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(asciicastHeader(recording) + "\n"));
    },
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) return controller.close();
      controller.enqueue(encoder.encode(next.value.lines + "\n"));
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
}
