import "server-only";
import { eq } from "drizzle-orm";
import { z } from "zod";
import { consoleUsers } from "../../../drizzle/schema/index";
import { accessRequestOptions, decideAccessRequestAsUser, fileAccessRequest, listAccessRequestsFor, revokeAccessRequestAsUser } from "../../access-requests/manage-access-requests";
import { approverProcedure, createTRPCRouter, protectedProcedure } from "../trpc";

export const accessRequestsRouter = createTRPCRouter({
  options: protectedProcedure.query(({ ctx }) => accessRequestOptions(ctx.db, ctx.user)),
  list: protectedProcedure.query(({ ctx }) => listAccessRequestsFor(ctx.db, ctx.user)),
  create: protectedProcedure
    .input(
      z.object({
        identityName: z.string().min(1, "choose the identity that needs access"),
        connectionName: z.string().min(1, "choose a connection"),
        durationSeconds: z
          .number()
          .int()
          .min(60)
          .max(7 * 24 * 3600),
        reason: z.string().trim().min(1, "say why access is needed").max(1000),
      }),
    )
    .mutation(({ ctx, input }) => fileAccessRequest(ctx.db, ctx.user, input)),
  decide: approverProcedure.input(z.object({ id: z.string().uuid(), decision: z.enum(["approve", "reject"]), reason: z.string().max(1000).optional() })).mutation(async ({ ctx, input }) => {
    const [me] = await ctx.db.select({ groups: consoleUsers.groups }).from(consoleUsers).where(eq(consoleUsers.id, ctx.user.id));
    return decideAccessRequestAsUser(ctx.db, { ...ctx.user, groups: me?.groups ?? [] }, input);
  }),
  revoke: approverProcedure.input(z.object({ id: z.string().uuid() })).mutation(({ ctx, input }) => revokeAccessRequestAsUser(ctx.db, ctx.user, input.id)),
});
