import "server-only";
import { z } from "zod";
import { CONSOLE_ROLES, addLocalUser, listConsoleUsers, updateConsoleUser } from "../../users/manage-users";
import { adminProcedure, createTRPCRouter } from "../trpc";

const groups = z.array(z.string().trim().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.:-]{0,62}$/, "group names are letters, digits, '.', '_', ':' or '-'")).max(50);

export const usersRouter = createTRPCRouter({
  list: adminProcedure.query(({ ctx }) => listConsoleUsers(ctx.db)),
  add: adminProcedure.input(z.object({ email: z.string().trim().min(3), role: z.enum(CONSOLE_ROLES), groups })).mutation(({ ctx, input }) => addLocalUser(ctx.db, ctx.user, input)),
  update: adminProcedure
    .input(z.object({ id: z.string().uuid(), role: z.enum(CONSOLE_ROLES).optional(), disabled: z.boolean().optional(), groups: groups.optional(), identityName: z.string().nullable().optional() }))
    .mutation(({ ctx, input }) => updateConsoleUser(ctx.db, ctx.user, input)),
});
