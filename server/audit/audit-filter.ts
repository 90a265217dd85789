import { z } from "zod";

const instant = z.coerce.date({ error: "is not a date and time (use ISO 8601, e.g. 2026-11-22T18:00:00Z)" });

/** The audit log's filters, shared by the search procedure, the export route and the page. */
export const auditFilterSchema = z.object({
  q: z.string().trim().max(500).optional(),
  identity: z.string().trim().max(200).optional(),
  connection: z.string().trim().max(200).optional(),
  action: z.string().trim().max(100).optional(),
  outcome: z.enum(["ok", "error", "denied"]).optional(),
  session: z.string().uuid({ error: "is not a session id" }).optional(),
  from: instant.optional(),
  to: instant.optional(),
});
export type AuditFilter = z.infer<typeof auditFilterSchema>;

/** Reads filters from a query string, dropping empty values. */
export function auditFilterFromParams(params: URLSearchParams): AuditFilter {
  const raw = Object.fromEntries([...params.entries()].filter(([k, v]) => v !== "" && k in auditFilterSchema.shape));
  return auditFilterSchema.parse(raw);
}
