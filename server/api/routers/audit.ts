import "server-only";
import { z } from "zod";
import { auditFilterSchema } from "../../audit/audit-filter";
import { searchAudit } from "../../audit/search-audit";
import { auditorProcedure, createTRPCRouter } from "../trpc";

export const auditRouter = createTRPCRouter({
  search: auditorProcedure
    .input(auditFilterSchema.extend({ cursor: z.number().int().positive().nullish(), limit: z.number().int().min(1).max(200).default(50) }))
    .query(({ ctx, input }) => searchAudit(ctx.db, input)),
});
