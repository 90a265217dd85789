import "server-only";
import { z } from "zod";
import { listTerminalConnections } from "../../terminal/list-terminal-connections";
import { openTerminal } from "../../terminal/open-terminal";
import { createTRPCRouter, protectedProcedure } from "../trpc";

/** Every role may open a terminal, as their own linked identity, on what their groups are granted. */
export const terminalRouter = createTRPCRouter({
  connections: protectedProcedure.query(({ ctx }) => listTerminalConnections(ctx.db, ctx.user)),
  /** Issues a one-time ticket (60 s) the browser hands to the gateway's terminal WebSocket. */
  open: protectedProcedure
    .input(
      z.object({
        connection: z.string().trim().min(1, "choose a connection").max(200),
        // The terminal's fitted size; the ticket clamps it to what the gateway accepts.
        cols: z.number().int().positive().max(2000).optional(),
        rows: z.number().int().positive().max(2000).optional(),
      }),
    )
    .mutation(({ ctx, input }) => openTerminal(ctx.db, ctx.user, input)),
});
