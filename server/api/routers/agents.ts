import "server-only";
import { z } from "zod";
import { getIdentity, issueKeyFor, listIdentities, revokeAllKeys, revokeKey } from "../../agents/manage-agents";
import { adminProcedure, createTRPCRouter } from "../trpc";

export const agentsRouter = createTRPCRouter({
  list: adminProcedure.query(({ ctx }) => listIdentities(ctx.db)),
  get: adminProcedure.input(z.object({ id: z.string().uuid() })).query(({ ctx, input }) => getIdentity(ctx.db, input.id)),
  issueKey: adminProcedure
    .input(
      z.object({
        identity: z.string().trim().regex(/^\S{1,128}$/, "1-128 characters without spaces"),
        groups: z.array(z.string().trim().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.:-]{0,62}$/, "group names are letters, digits, '.', '_', ':' or '-'")).max(20),
        ttlSeconds: z.number().int().min(60).max(366 * 86400).optional(),
      }),
    )
    .mutation(({ ctx, input }) => issueKeyFor(ctx.db, ctx.user, input)),
  revokeKey: adminProcedure.input(z.object({ keyId: z.string().uuid() })).mutation(({ ctx, input }) => revokeKey(ctx.db, ctx.user, input.keyId)),
  revokeAll: adminProcedure.input(z.object({ identity: z.string().min(1) })).mutation(({ ctx, input }) => revokeAllKeys(ctx.db, ctx.user, input.identity)),
});
