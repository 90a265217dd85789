import "server-only";
import { z } from "zod";
import type { Db } from "../../drizzle/client";
import { getRecording, recordingEvents } from "../../core/recordings/read-recording";
import { AppError } from "../errors/app-error";

export const readRecordingChunksInput = z.object({ id: z.string().uuid(), afterSeq: z.number().int().min(-1).default(-1) });

const MAX_CHUNKS = 200;

/**
 * The chunks of a recording saved after `afterSeq`, for the live view of a running session (polled
 * every second). At most 200 chunks a call; `more` asks the caller to come back at once.
 * `ended` turns true once the recorder has written its last chunk.
 */
export async function readRecordingChunks(db: Db, input: z.infer<typeof readRecordingChunksInput>) {
  const recording = await getRecording(db, input.id);
  if (!recording) throw new AppError("NOT_FOUND", "this session has no terminal recording");
  const chunks: { seq: number; lines: string }[] = [];
  let more = false;
  for await (const chunk of recordingEvents(db, input.id, input.afterSeq)) {
    if (chunks.length === MAX_CHUNKS) {
      more = true;
      break;
    }
    chunks.push(chunk);
  }
  // The header was read first: when it says ended, every chunk is already saved (the recorder writes
  // its last chunk and the end in one transaction); an end written meanwhile shows on the next poll.
  return { width: recording.width, height: recording.height, ended: recording.endedAt != null && !more, chunks, more };
}
