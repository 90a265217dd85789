import "server-only";
import { z } from "zod";
import { budgetInput } from "../../../core/budgets/budget-rules";
import { budgetsOverview, removeBudgetFromConsole, saveBudgetFromConsole } from "../../budgets/manage-budgets";
import { adminProcedure, createTRPCRouter, watcherProcedure } from "../trpc";

/** Exfiltration budgets: everyone who watches the data path reads them; admins set them. */
export const budgetsRouter = createTRPCRouter({
  overview: watcherProcedure.query(({ ctx }) => budgetsOverview(ctx.db)),
  save: adminProcedure.input(budgetInput).mutation(({ ctx, input }) => saveBudgetFromConsole(ctx.db, ctx.user, input)),
  remove: adminProcedure.input(z.object({ name: z.string().min(1).max(100) })).mutation(({ ctx, input }) => removeBudgetFromConsole(ctx.db, ctx.user, input.name)),
});
