import "server-only";
import { z } from "zod";
import { SSH_HOST_KEY_FINGERPRINT } from "../../../core/connections/connection-settings";
import { connectionFormSchema } from "../../connections/connection-forms";
import { deleteConnection } from "../../connections/delete-connection";
import { forgetHostKey } from "../../connections/forget-host-key";
import { getConnection } from "../../connections/get-connection";
import { approveMcpTool, listMcpTools } from "../../connections/mcp-tools";
import { listConnections } from "../../connections/list-connections";
import { saveConnection } from "../../connections/save-connection";
import { testConnection } from "../../connections/test-connection";
import { secretBox } from "../../secret-key";
import { adminProcedure, createTRPCRouter } from "../trpc";

const id = z.object({ id: z.string().uuid() });
/** `connector`: reached through this connector (connections.connector_id, not a setting); null: dialled by the gateway; absent: unchanged. */
const formInput = z.object({ id: z.string().uuid().optional(), form: connectionFormSchema, connector: z.string().max(63).nullable().optional() });

export const connectionsRouter = createTRPCRouter({
  list: adminProcedure.query(({ ctx }) => listConnections(ctx.db)),
  /** Settings and the names of stored secret fields; never a secret value. */
  get: adminProcedure.input(id).query(({ ctx, input }) => getConnection(ctx.db, secretBox(), input.id)),
  save: adminProcedure.input(formInput).mutation(({ ctx, input }) => saveConnection(ctx.db, secretBox(), ctx.user, input.form, input.id, input.connector)),
  /** Connects to the target with the form (stored secrets fill empty secret fields of `id`). */
  test: adminProcedure.input(formInput).mutation(({ ctx, input }) => testConnection(ctx.db, secretBox(), ctx.user, input.form, input.id, input.connector)),
  /** Removes an SSH connection's pinned host key (the one the admin confirmed), so the next connection pins afresh. */
  forgetHostKey: adminProcedure
    .input(id.extend({ fingerprint: z.string().regex(SSH_HOST_KEY_FINGERPRINT, "a SHA256:... fingerprint") }))
    .mutation(({ ctx, input }) => forgetHostKey(ctx.db, ctx.user, input.id, input.fingerprint)),
  /** An MCP connection's tools as last seen, with their approval state (tool pinning). */
  mcpTools: adminProcedure.input(id).query(({ ctx, input }) => listMcpTools(ctx.db, input.id)),
  /** Approves one tool's definition, as read (its hash). */
  approveMcpTool: adminProcedure
    .input(id.extend({ tool: z.string().min(1).max(200), hash: z.string().regex(/^[0-9a-f]{64}$/, "a SHA-256 in hex") }))
    .mutation(({ ctx, input }) => approveMcpTool(ctx.db, ctx.user, input.id, input.tool, input.hash)),
  delete: adminProcedure.input(id.extend({ confirmName: z.string() })).mutation(({ ctx, input }) => deleteConnection(ctx.db, ctx.user, input.id, input.confirmName)),
});
