import "server-only";
import { z } from "zod";
import { canOpen } from "../../auth/current-user";
import { AppError } from "../../errors/app-error";
import { getMaskingRules } from "../../masking/get-masking-rules";
import { listMasking } from "../../masking/list-masking";
import { previewMaskingRules } from "../../masking/preview-rules";
import { saveMaskingRules } from "../../masking/save-masking-rules";
import { adminProcedure, createTRPCRouter, protectedProcedure } from "../trpc";

/** As for guardrails: admins edit; auditors and approvers may read the rules and preview them. */
const viewerProcedure = protectedProcedure.use(({ ctx, next }) => {
  if (!canOpen(ctx.user.role, "masking")) throw new AppError("FORBIDDEN", `masking needs the admin, auditor or approver role; you are ${ctx.user.role}`).toTRPC();
  return next({ ctx });
});

// The rules arrive unchecked and are validated in the domain function, so each issue comes back
// under its form field (`columns.2.column`) instead of one flattened "rules" message.
const rulesInput = z.unknown();
const sample = z.object({ column: z.string().max(200).nullish(), value: z.string().max(10_000, "a sample is at most 10,000 characters") });

export const maskingRouter = createTRPCRouter({
  list: viewerProcedure.query(({ ctx }) => listMasking(ctx.db)),
  get: viewerProcedure.input(z.object({ name: z.string().min(1) })).query(({ ctx, input }) => getMaskingRules(ctx.db, input.name)),
  save: adminProcedure.input(z.object({ name: z.string().min(1), rules: rulesInput })).mutation(({ ctx, input }) => saveMaskingRules(ctx.db, ctx.user, input.name, input.rules)),
  /** Pure: masks the samples under the given (possibly unsaved) rules; stores nothing. */
  preview: viewerProcedure
    .input(z.object({ rules: rulesInput, samples: z.array(sample).min(1, "type a sample value").max(20), groups: z.array(z.string().trim().min(1)).max(50).default([]) }))
    .mutation(({ input }) => previewMaskingRules(input.rules, input.samples, input.groups)),
});
