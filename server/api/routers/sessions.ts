import "server-only";
import { z } from "zod";
import { getSession, getSessionInput } from "../../sessions/get-session";
import { killSession } from "../../sessions/kill-session";
import { listSessions, listSessionsInput } from "../../sessions/list-sessions";
import { adminProcedure, auditorProcedure, createTRPCRouter } from "../trpc";

export const sessionsRouter = createTRPCRouter({
  list: auditorProcedure.input(listSessionsInput).query(({ ctx, input }) => listSessions(ctx.db, input)),
  get: auditorProcedure.input(getSessionInput).query(({ ctx, input }) => getSession(ctx.db, input)),
  /** Ends a live session on whichever gateway instance holds it (admins only; auditors watch). */
  kill: adminProcedure.input(z.object({ id: z.string().uuid() })).mutation(async ({ ctx, input }) => {
    await killSession(ctx.db, { id: input.id, actor: ctx.user.email });
    return { ok: true };
  }),
});
