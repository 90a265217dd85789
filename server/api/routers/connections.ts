import "server-only";
import { z } from "zod";
import { connectionFormSchema } from "../../connections/connection-forms";
import { deleteConnection, getConnectionForEdit, listConnections, saveConnection } from "../../connections/manage-connections";
import { testPostgresConnection } from "../../connections/test-connection";
import { recordConsoleEvent } from "../../audit/record-console-event";
import { secretBox } from "../../secret-key";
import { adminProcedure, createTRPCRouter } from "../trpc";

const id = z.object({ id: z.string().uuid() });

export const connectionsRouter = createTRPCRouter({
  list: adminProcedure.query(({ ctx }) => listConnections(ctx.db)),
  get: adminProcedure.input(id).query(({ ctx, input }) => getConnectionForEdit(ctx.db, input.id)),
  save: adminProcedure
    .input(z.object({ id: z.string().uuid().optional(), form: connectionFormSchema }))
    .mutation(({ ctx, input }) => saveConnection(ctx.db, secretBox(), ctx.user, input.form, input.id)),
  test: adminProcedure.input(z.object({ id: z.string().uuid().optional(), form: connectionFormSchema })).mutation(async ({ ctx, input }) => {
    const result = await testPostgresConnection(ctx.db, secretBox(), input.form, input.id);
    await recordConsoleEvent(ctx.db, {
      action: "console.connection.test", outcome: result.ok ? "ok" : "error", actor: ctx.user.email, connectionName: input.form.name, target: input.id,
      message: result.ok ? `reached ${input.form.host}:${input.form.port}: ${result.serverVersion}` : result.error,
    });
    return result;
  }),
  delete: adminProcedure.input(id.extend({ confirmName: z.string() })).mutation(({ ctx, input }) => deleteConnection(ctx.db, ctx.user, input.id, input.confirmName)),
});
