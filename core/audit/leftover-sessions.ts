import type pg from "pg";
import type { AuditWriter } from "./audit-writer";
import type { LeftoverSession } from "../sessions/session-store";

/**
 * Gives the sessions an earlier run of this instance left active their `session.end` event, with
 * the reason, unless one is stored already (the run journaled it but died before closing the row).
 * Run after the journal is shipped, so that such an event is found.
 */
export async function endLeftoverSessions(pool: pg.Pool, audit: AuditWriter, leftovers: LeftoverSession[], reason: string): Promise<number> {
  if (leftovers.length === 0) return 0;
  const { rows } = await pool.query<{ session_id: string }>("select distinct session_id from audit_events where action = 'session.end' and session_id = any($1::uuid[])", [leftovers.map((s) => s.id)]);
  const ended = new Set(rows.map((r) => r.session_id));
  let n = 0;
  for (const s of leftovers) {
    if (ended.has(s.id)) continue;
    audit.write({
      at: new Date(),
      action: "session.end",
      outcome: "error",
      sessionId: s.id,
      identityId: s.identityId,
      identityName: s.identityName,
      groups: s.groups,
      connectionName: s.connectionName,
      protocol: s.protocol,
      clientAddr: s.clientAddr,
      message: reason,
      details: { leftover: true },
    });
    n++;
  }
  return n;
}
