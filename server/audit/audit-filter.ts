import { z } from "zod";

/** The audit log's filters, shared by the search procedure, the export route and the page. */
export const auditFilterSchema = z.object({
  q: z.string().trim().max(500).optional(),
  identity: z.string().trim().max(200).optional(),
  connection: z.string().trim().max(200).optional(),
  action: z.string().trim().max(100).optional(),
  outcome: z.enum(["ok", "error", "denied"]).optional(),
  session: z.string().uuid().optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
});
export type AuditFilter = z.infer<typeof auditFilterSchema>;

/** Reads filters from a query string, dropping empty values. */
export function auditFilterFromParams(params: URLSearchParams): AuditFilter {
  const raw = Object.fromEntries([...params.entries()].filter(([k, v]) => v !== "" && k in auditFilterSchema.shape));
  return auditFilterSchema.parse(raw);
}
