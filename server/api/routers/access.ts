import "server-only";
import { z } from "zod";
import { accessOverview, createGroup, deleteGroup, setGrant, setMembership } from "../../access/manage-access";
import { adminProcedure, createTRPCRouter } from "../trpc";

export const accessRouter = createTRPCRouter({
  overview: adminProcedure.query(({ ctx }) => accessOverview(ctx.db)),
  createGroup: adminProcedure.input(z.object({ name: z.string().trim() })).mutation(({ ctx, input }) => createGroup(ctx.db, ctx.user, input.name)),
  deleteGroup: adminProcedure.input(z.object({ id: z.string().uuid() })).mutation(({ ctx, input }) => deleteGroup(ctx.db, ctx.user, input.id)),
  setMembership: adminProcedure
    .input(z.object({ groupId: z.string().uuid(), identityName: z.string().trim().min(1, "choose an identity"), member: z.boolean() }))
    .mutation(({ ctx, input }) => setMembership(ctx.db, ctx.user, input)),
  setGrant: adminProcedure
    .input(z.object({ groupId: z.string().uuid(), connectionId: z.string().uuid(), granted: z.boolean() }))
    .mutation(({ ctx, input }) => setGrant(ctx.db, ctx.user, input)),
});
