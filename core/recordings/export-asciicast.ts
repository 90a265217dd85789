import type { Db } from "../../drizzle/client";
import { getSession, listAudit } from "../audit/read-records";
import { writeRecording } from "./read-recording";

/**
 * Writes a session as asciicast v2. A Postgres session has no terminal of its own, so its statement
 * timeline is rendered as a psql-like transcript: each statement as input ("i") and output ("o")
 * events at the times they ran, with the outcome. Terminal sessions (SSH, browser) export their
 * own recording.
 */
export async function exportAsciicast(db: Db, sessionId: string, write: (line: string) => void): Promise<void> {
  const session = await getSession(db, sessionId);
  if (!session) throw new Error(`no session with id "${sessionId}"`);
  if (await writeRecording(db, sessionId, write)) return;
  const start = session.startedAt.getTime();
  write(
    JSON.stringify({
      version: 2,
      width: 120,
      height: 40,
      timestamp: Math.floor(start / 1000),
      title: `${session.identityName} @ ${session.connectionName} (${session.protocol})`,
      env: { TERM: "xterm-256color", SHELL: "gatehouse" },
    }),
  );
  let last = 0;
  // asciicast times must not go backwards, even when pipelined statements overlap.
  const t = (d: Date) => (last = Math.max(last, (d.getTime() - start) / 1000));
  const crlf = (s: string) => s.replace(/\r?\n/g, "\r\n");
  for await (const e of listAudit(db, { sessionId })) {
    if (e.action !== "statement") continue;
    const prompt = `${session.connectionName}=> `;
    write(JSON.stringify([t(e.at), "o", prompt]));
    write(JSON.stringify([t(e.at), "i", crlf(e.statement ?? "") + "\r\n"]));
    write(JSON.stringify([t(e.at), "o", crlf(e.statement ?? "") + "\r\n"]));
    const doneAt = new Date(e.at.getTime() + (e.durationMs ?? 0));
    const outcome = e.outcome === "ok" ? `${e.statementKind ?? "OK"}${e.rows != null ? ` (${e.rows} rows)` : ""}` : `ERROR ${e.sqlstate ?? ""}: ${e.message ?? ""}`;
    write(JSON.stringify([t(doneAt), "o", crlf(outcome) + "\r\n\r\n"]));
  }
}
