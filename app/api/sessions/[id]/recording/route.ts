import { canOpen, currentUser } from "../../../../../server/auth/current-user";
import { getDb } from "../../../../../server/db";
import { AppError } from "../../../../../server/errors/app-error";
import { exportRecording } from "../../../../../server/sessions/export-recording";

export const dynamic = "force-dynamic";

/**
 * GET /api/sessions/<id>/recording: the session's terminal recording as an asciicast v2 download.
 * `?for=replay` is the session page's player loading it (inline, audited as a replay).
 */
export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }) {
  const user = await currentUser();
  if (!user) return Response.json({ error: "sign in to export a recording" }, { status: 401 });
  if (!canOpen(user.role, "sessions")) return Response.json({ error: `recordings need the admin or auditor role; you are ${user.role}` }, { status: 403 });
  const { id } = await params;
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return Response.json({ error: "a session id is a UUID" }, { status: 400 });
  const purpose = new URL(req.url).searchParams.get("for") === "replay" ? "replay" : "export";
  try {
    const body = await exportRecording(getDb(), { id, actor: user.email, purpose });
    return new Response(body, {
      headers: {
        "content-type": "application/x-asciicast; charset=utf-8",
        "content-disposition": `${purpose === "export" ? "attachment" : "inline"}; filename="session-${id}.cast"`,
        "cache-control": "no-store",
      },
    });
  } catch (err) {
    if (err instanceof AppError && err.code === "NOT_FOUND") return Response.json({ error: err.message }, { status: 404 });
    throw err;
  }
}
