import "server-only";
import { asc, desc, eq } from "drizzle-orm";
import { auditEvents, auditSinkCursors } from "../../drizzle/schema/index";
import type { Db } from "../../drizzle/client";
import { sinkState, verifyTone, type SinkState, type Tone, type VerifyState } from "./audit-health-state";

export type AuditHealth = { verify: VerifyState; verifyTone: Tone; sinks: SinkState[] };

/**
 * What the audit page says about the log's integrity and delivery: the last `gatehouse audit
 * verify` run (each run is itself an `audit.verify` event) and each SIEM sink's cursor (written by
 * the gateway instance that delivers, core/audit/sinks/sink-runner.ts).
 */
export async function readAuditHealth(db: Db, now = new Date()): Promise<AuditHealth> {
  const [[last], cursors] = await Promise.all([
    db
      .select({ at: auditEvents.at, outcome: auditEvents.outcome, by: auditEvents.identityName, message: auditEvents.message })
      .from(auditEvents)
      .where(eq(auditEvents.action, "audit.verify"))
      .orderBy(desc(auditEvents.id))
      .limit(1),
    db.select().from(auditSinkCursors).orderBy(asc(auditSinkCursors.name)),
  ]);
  const verify: VerifyState = last ? { at: last.at, ok: last.outcome === "ok", by: last.by, message: last.message } : null;
  return { verify, verifyTone: verifyTone(verify, now), sinks: cursors.map((c) => sinkState(c, now)) };
}
