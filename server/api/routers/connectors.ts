import "server-only";
import { z } from "zod";
import { addConnectorFromConsole, connectorsOverview, issueConnectorTokenFromConsole, removeConnectorFromConsole, revokeConnectorTokensFromConsole } from "../../connectors/manage-connectors";
import { adminProcedure, createTRPCRouter, watcherProcedure } from "../trpc";

const name = z.object({ name: z.string().min(1).max(63) });

/** Connectors: those who watch the data path see them; admins add them, issue and revoke their tokens, remove them. */
export const connectorsRouter = createTRPCRouter({
  list: watcherProcedure.query(({ ctx }) => connectorsOverview(ctx.db)),
  /** The name rule is core's (addConnector): its message reaches the form's field. */
  add: adminProcedure.input(z.object({ name: z.string().trim().max(100) })).mutation(({ ctx, input }) => addConnectorFromConsole(ctx.db, ctx.user, input.name)),
  /** The token is in the answer once; it is stored hashed. */
  issueToken: adminProcedure
    .input(
      name.extend({
        ttlSeconds: z
          .number()
          .int()
          .min(60)
          .max(366 * 86400)
          .optional(),
      }),
    )
    .mutation(({ ctx, input }) => issueConnectorTokenFromConsole(ctx.db, ctx.user, input.name, input.ttlSeconds)),
  revokeTokens: adminProcedure.input(name).mutation(({ ctx, input }) => revokeConnectorTokensFromConsole(ctx.db, ctx.user, input.name)),
  remove: adminProcedure.input(name).mutation(({ ctx, input }) => removeConnectorFromConsole(ctx.db, ctx.user, input.name)),
});
