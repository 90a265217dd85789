import "server-only";
import { z } from "zod";
import { publish } from "../../../gateway/bus/event-bus";
import { recordConsoleEvent } from "../../audit/record-console-event";
import { AppError } from "../../errors/app-error";
import { getSessionPage, listSessions, listSessionsInput, sessionPageInput } from "../../sessions/list-sessions";
import { adminProcedure, auditorProcedure, createTRPCRouter } from "../trpc";

export const sessionsRouter = createTRPCRouter({
  list: auditorProcedure.input(listSessionsInput).query(({ ctx, input }) => listSessions(ctx.db, input)),
  get: auditorProcedure.input(sessionPageInput).query(({ ctx, input }) => getSessionPage(ctx.db, input)),
  /** Ends a live session on whichever gateway instance holds it. */
  kill: adminProcedure.input(z.object({ id: z.string().uuid() })).mutation(async ({ ctx, input }) => {
    const { session } = await getSessionPage(ctx.db, { id: input.id, limit: 1 });
    if (session.status !== "active") throw new AppError("CONFLICT", `this session is already ${session.status}`);
    await publish(ctx.db, "sessions.kill", { sessionId: input.id, reason: `${ctx.user.email} ended this session from the console` });
    await recordConsoleEvent(ctx.db, { action: "console.session.kill", outcome: "ok", actor: ctx.user.email, connectionName: session.connectionName, target: input.id, message: `ended the session of ${session.identityName}` });
    return { ok: true };
  }),
});
