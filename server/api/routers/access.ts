import "server-only";
import { z } from "zod";
import { createGroup } from "../../access/create-group";
import { deleteGroup } from "../../access/delete-group";
import { getAccessOverview } from "../../access/get-access-overview";
import { renameGroup } from "../../access/rename-group";
import { setGroupGrant } from "../../access/set-group-grant";
import { setGroupMember } from "../../access/set-group-member";
import { groupNameSchema } from "../../agents/name-schemas";
import { adminProcedure, createTRPCRouter } from "../trpc";

const groupId = z.string().uuid();

export const accessRouter = createTRPCRouter({
  overview: adminProcedure.query(({ ctx }) => getAccessOverview(ctx.db)),
  createGroup: adminProcedure.input(z.object({ name: groupNameSchema })).mutation(({ ctx, input }) => createGroup(ctx.db, ctx.user, input.name)),
  renameGroup: adminProcedure.input(z.object({ id: groupId, name: groupNameSchema })).mutation(({ ctx, input }) => renameGroup(ctx.db, ctx.user, input.id, input.name)),
  deleteGroup: adminProcedure.input(z.object({ id: groupId, confirmName: z.string() })).mutation(({ ctx, input }) => deleteGroup(ctx.db, ctx.user, input.id, input.confirmName)),
  setMembership: adminProcedure
    .input(z.object({ groupId, identityName: z.string().trim().min(1, "choose an identity"), member: z.boolean() }))
    .mutation(({ ctx, input }) => setGroupMember(ctx.db, ctx.user, input)),
  setGrant: adminProcedure.input(z.object({ groupId, connectionId: z.string().uuid(), granted: z.boolean() })).mutation(({ ctx, input }) => setGroupGrant(ctx.db, ctx.user, input)),
});
