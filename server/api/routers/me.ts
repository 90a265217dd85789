import "server-only";
import { getOverview } from "../../overview";
import { createTRPCRouter, protectedProcedure } from "../trpc";

export const meRouter = createTRPCRouter({
  /** Who is signed in and with which role (the UI hides what the role cannot do; procedures enforce it). */
  whoami: protectedProcedure.query(({ ctx }) => ctx.user),
  overview: protectedProcedure.query(() => getOverview()),
});
