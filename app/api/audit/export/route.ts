import { ZodError } from "zod";
import { auditFilterFromParams } from "../../../../server/audit/audit-filter";
import { exportAuditStream } from "../../../../server/audit/export-audit";
import { recordConsoleEvent } from "../../../../server/audit/record-console-event";
import { canOpen, currentUser } from "../../../../server/auth/current-user";
import { getDb } from "../../../../server/db";

export const dynamic = "force-dynamic";

/** GET /api/audit/export?format=csv|jsonl&<filters>: the filtered audit events as a streamed download. */
export async function GET(req: Request) {
  const user = await currentUser();
  if (!user) return Response.json({ error: "sign in to export the audit log" }, { status: 401 });
  if (!canOpen(user.role, "audit")) return Response.json({ error: `exporting the audit log needs the admin or auditor role; you are ${user.role}` }, { status: 403 });
  const params = new URL(req.url).searchParams;
  const format = params.get("format") ?? "csv";
  if (format !== "csv" && format !== "jsonl") return Response.json({ error: "format must be csv or jsonl" }, { status: 400 });
  let filter;
  try {
    filter = auditFilterFromParams(params);
  } catch (err) {
    const issues = err instanceof ZodError ? err.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") : String(err);
    return Response.json({ error: `bad filter: ${issues}` }, { status: 400 });
  }
  const db = getDb();
  await recordConsoleEvent(db, { action: "console.audit.export", outcome: "ok", actor: user.email, message: `exported the audit log as ${format}`, after: filter });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
  return new Response(exportAuditStream(db, filter, format), {
    headers: {
      "content-type": format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
      "content-disposition": `attachment; filename="gatehouse-audit-${stamp}.${format}"`,
      "cache-control": "no-store",
    },
  });
}
