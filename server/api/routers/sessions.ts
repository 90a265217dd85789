import "server-only";
import { z } from "zod";
import { getRecordingOverview, getRecordingOverviewInput } from "../../sessions/get-recording-overview";
import { getSession, getSessionInput } from "../../sessions/get-session";
import { killSession } from "../../sessions/kill-session";
import { listSessions, listSessionsInput } from "../../sessions/list-sessions";
import { readRecordingChunks, readRecordingChunksInput } from "../../sessions/read-recording-chunks";
import { searchRecording, searchRecordingInput } from "../../sessions/search-recording";
import { adminProcedure, auditorProcedure, createTRPCRouter } from "../trpc";

export const sessionsRouter = createTRPCRouter({
  list: auditorProcedure.input(listSessionsInput).query(({ ctx, input }) => listSessions(ctx.db, input)),
  get: auditorProcedure.input(getSessionInput).query(({ ctx, input }) => getSession(ctx.db, input)),
  /** A terminal session's recording (size, length) and its commands on the recording's time line. */
  recording: auditorProcedure.input(getRecordingOverviewInput).query(({ ctx, input }) => getRecordingOverview(ctx.db, input)),
  /** New chunks of a recording after a seq, for the live view of a running session. */
  recordingChunks: auditorProcedure.input(readRecordingChunksInput).query(({ ctx, input }) => readRecordingChunks(ctx.db, input)),
  searchRecording: auditorProcedure.input(searchRecordingInput).query(({ ctx, input }) => searchRecording(ctx.db, input)),
  /** Ends a live session on whichever gateway instance holds it (admins only; auditors watch). */
  kill: adminProcedure.input(z.object({ id: z.string().uuid() })).mutation(async ({ ctx, input }) => {
    await killSession(ctx.db, { id: input.id, actor: ctx.user.email });
    return { ok: true };
  }),
});
