import "server-only";
import { eq } from "drizzle-orm";
import { z } from "zod";
import { consoleUsers } from "../../../drizzle/schema/index";
import { AppError } from "../../errors/app-error";
import { decideReviewAsUser } from "../../reviews/decide-review";
import { countPendingReviews, getReview, listReviews, listReviewsInput } from "../../reviews/list-reviews";
import { approverProcedure, createTRPCRouter } from "../trpc";

export const reviewsRouter = createTRPCRouter({
  /** How many statements wait for a decision (the navigation's badge). */
  pendingCount: approverProcedure.query(({ ctx }) => countPendingReviews(ctx.db)),
  list: approverProcedure.input(listReviewsInput).query(({ ctx, input }) => listReviews(ctx.db, input)),
  get: approverProcedure.input(z.object({ id: z.string().uuid() })).query(async ({ ctx, input }) => {
    const review = await getReview(ctx.db, input.id);
    if (!review) throw new AppError("NOT_FOUND", "no such review");
    return { review, now: new Date(), you: ctx.user.email };
  }),
  decide: approverProcedure.input(z.object({ id: z.string().uuid(), decision: z.enum(["approve", "reject"]), reason: z.string().max(1000).optional() })).mutation(async ({ ctx, input }) => {
    const [me] = await ctx.db.select({ groups: consoleUsers.groups }).from(consoleUsers).where(eq(consoleUsers.id, ctx.user.id));
    return decideReviewAsUser(ctx.db, { ...ctx.user, groups: me?.groups ?? [] }, input);
  }),
});
