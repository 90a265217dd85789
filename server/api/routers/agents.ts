import "server-only";
import { z } from "zod";
import { createAgent } from "../../agents/create-agent";
import { getIdentity } from "../../agents/get-identity";
import { issueAgentKey } from "../../agents/issue-agent-key";
import { listIdentities } from "../../agents/list-identities";
import { groupListSchema, identityNameSchema } from "../../agents/name-schemas";
import { revokeAllKeys } from "../../agents/revoke-all-keys";
import { revokeKey } from "../../agents/revoke-key";
import { setIdentityGroups } from "../../agents/set-identity-groups";
import { adminProcedure, createTRPCRouter } from "../trpc";

export const agentsRouter = createTRPCRouter({
  list: adminProcedure.query(({ ctx }) => listIdentities(ctx.db)),
  get: adminProcedure.input(z.object({ id: z.string().uuid() })).query(({ ctx, input }) => getIdentity(ctx.db, input.id)),
  create: adminProcedure.input(z.object({ name: identityNameSchema, groups: groupListSchema })).mutation(({ ctx, input }) => createAgent(ctx.db, ctx.user, input)),
  issueKey: adminProcedure
    .input(
      z.object({
        identity: identityNameSchema,
        groups: groupListSchema,
        ttlSeconds: z
          .number()
          .int()
          .min(60)
          .max(366 * 86400)
          .optional(),
      }),
    )
    .mutation(({ ctx, input }) => issueAgentKey(ctx.db, ctx.user, input)),
  setGroups: adminProcedure
    .input(z.object({ id: z.string().uuid(), add: groupListSchema, remove: z.array(z.string()).max(50) }))
    .mutation(({ ctx, input }) => setIdentityGroups(ctx.db, ctx.user, input)),
  revokeKey: adminProcedure.input(z.object({ keyId: z.string().uuid() })).mutation(({ ctx, input }) => revokeKey(ctx.db, ctx.user, input.keyId)),
  revokeAll: adminProcedure.input(z.object({ identity: z.string().min(1) })).mutation(({ ctx, input }) => revokeAllKeys(ctx.db, ctx.user, input.identity)),
});
