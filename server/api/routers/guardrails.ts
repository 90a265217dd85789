import "server-only";
import { z } from "zod";
import { canOpen } from "../../auth/current-user";
import { AppError } from "../../errors/app-error";
import { getGuardrails, listGuardrails, saveGuardrails } from "../../guardrails/manage-guardrails";
import { tryStatement } from "../../guardrails/try-statement";
import { tryRequest } from "../../guardrails/try-request";
import { tryKubernetes } from "../../guardrails/try-kubernetes";
import { tryCommand } from "../../guardrails/try-command";
import { tryToolCall } from "../../guardrails/try-tool-call";
import { validatePolicy } from "../../guardrails/validate-policy";
import { adminProcedure, createTRPCRouter, protectedProcedure } from "../trpc";

/** Admins edit; auditors and approvers may read policies and try statements (approvers judge what rules hold). */
const viewerProcedure = protectedProcedure.use(({ ctx, next }) => {
  if (!canOpen(ctx.user.role, "guardrails")) throw new AppError("FORBIDDEN", `guardrails need the admin, auditor or approver role; you are ${ctx.user.role}`).toTRPC();
  return next({ ctx });
});

// The policy arrives unchecked and is validated in the domain function, so each issue comes back
// under its rule and field (`rules.2.regex`) instead of one flattened "rules" message.
const policyInput = z.unknown();

export const guardrailsRouter = createTRPCRouter({
  list: viewerProcedure.query(({ ctx }) => listGuardrails(ctx.db)),
  get: viewerProcedure.input(z.object({ name: z.string().min(1) })).query(({ ctx, input }) => getGuardrails(ctx.db, input.name)),
  save: adminProcedure.input(z.object({ name: z.string().min(1), policy: policyInput })).mutation(({ ctx, input }) => saveGuardrails(ctx.db, ctx.user, input.name, input.policy)),
  /** Pure: parses and evaluates against the given (possibly unsaved) policy; stores nothing. */
  try: viewerProcedure
    .input(
      z.object({
        policy: policyInput,
        text: z.string().trim().min(1, "type a statement").max(100_000),
        identity: z.string().trim().min(1).default("agent"),
        groups: z.array(z.string()).default([]),
        mode: z.enum(["sql", "mysql", "command", "request", "kubernetes", "mcp"]).default("sql"),
      }),
    )
    .mutation(({ input }) => {
      const check = validatePolicy(input.policy);
      if (!check.ok) throw new AppError("INVALID_INPUT", check.message, check.fieldErrors);
      const who = { name: input.identity, groups: input.groups };
      if (input.mode === "request") return tryRequest(check.policy, who, input.text);
      if (input.mode === "kubernetes") return tryKubernetes(check.policy, who, input.text);
      if (input.mode === "command") return tryCommand(check.policy, who, input.text);
      if (input.mode === "mcp") return tryToolCall(check.policy, who, input.text);
      return tryStatement(check.policy, who, input.text, input.mode === "mysql" ? "mysql" : "postgres");
    }),
});
