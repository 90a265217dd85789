import "server-only";
import { z } from "zod";
import { policySchema } from "../../../gateway/policy/policy";
import { getGuardrails, listGuardrails, saveGuardrails } from "../../guardrails/manage-guardrails";
import { tryStatement } from "../../guardrails/try-statement";
import { adminProcedure, auditorProcedure, createTRPCRouter } from "../trpc";

export const guardrailsRouter = createTRPCRouter({
  list: auditorProcedure.query(({ ctx }) => listGuardrails(ctx.db)),
  get: auditorProcedure.input(z.object({ name: z.string().min(1) })).query(({ ctx, input }) => getGuardrails(ctx.db, input.name)),
  save: adminProcedure.input(z.object({ name: z.string().min(1), policy: policySchema })).mutation(({ ctx, input }) => saveGuardrails(ctx.db, ctx.user, input.name, input.policy)),
  /** Pure: parses and evaluates against the given (possibly unsaved) policy. */
  try: auditorProcedure
    .input(z.object({ policy: policySchema, text: z.string().min(1, "type a statement").max(100_000), identity: z.string().default("agent"), groups: z.array(z.string()).default([]) }))
    .mutation(({ input }) => tryStatement(input.policy, { name: input.identity, groups: input.groups }, input.text)),
});
