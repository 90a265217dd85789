import "server-only";
import { z } from "zod";
import { CONSOLE_ROLES } from "../../../drizzle/schema/index";
import { groupNameSchema } from "../../agents/name-schemas";
import { addLocalUser } from "../../users/add-local-user";
import { createOwnIdentity } from "../../users/create-own-identity";
import { listConsoleUsers } from "../../users/list-console-users";
import { resetUserPassword } from "../../users/reset-user-password";
import { updateConsoleUser } from "../../users/update-console-user";
import { adminProcedure, createTRPCRouter } from "../trpc";

const groups = z.array(groupNameSchema).max(50);

export const usersRouter = createTRPCRouter({
  list: adminProcedure.query(({ ctx }) => listConsoleUsers(ctx.db)),
  add: adminProcedure
    .input(
      z.object({
        email: z.string().trim().min(3, "an e-mail address"),
        name: z.string().trim().max(200).optional(),
        role: z.enum(CONSOLE_ROLES),
        groups,
        password: z.string().min(12, "at least 12 characters").max(256).optional(),
      }),
    )
    .mutation(({ ctx, input }) => addLocalUser(ctx.db, ctx.user, input)),
  update: adminProcedure
    .input(z.object({ id: z.string().uuid(), role: z.enum(CONSOLE_ROLES).optional(), disabled: z.boolean().optional(), groups: groups.optional(), identityName: z.string().nullable().optional() }))
    .mutation(({ ctx, input }) => updateConsoleUser(ctx.db, ctx.user, input)),
  /** A person identity for the signed-in admin, linked to their account (the Terminal and SSH keys pages offer it). */
  createMyIdentity: adminProcedure.mutation(({ ctx }) => createOwnIdentity(ctx.db, ctx.user)),
  resetPassword: adminProcedure.input(z.object({ id: z.string().uuid() })).mutation(({ ctx, input }) => resetUserPassword(ctx.db, ctx.user, input.id)),
});
