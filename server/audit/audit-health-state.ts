import type { AuditSinkCursor } from "../../drizzle/schema/index";

/** A verification older than this is shown as due. */
export const VERIFY_DUE_MS = 7 * 86_400_000;
/** A sink with undelivered events and no delivery for this long is shown as stalled. */
export const SINK_STALL_MS = 15 * 60_000;

export type Tone = "green" | "amber" | "red";
export type VerifyState = { at: Date; ok: boolean; by: string | null; message: string | null } | null;
export type SinkState = { name: string; deliveredUpTo: number; behind: number; deliveredAt: Date | null; lastError: string | null; updatedAt: Date; tone: Tone; status: string };

/** Green: verified intact within a week; amber: never verified, or due; red: the last run found a problem. */
export function verifyTone(verify: VerifyState, now: Date): Tone {
  if (!verify) return "amber";
  if (!verify.ok) return "red";
  return now.getTime() - verify.at.getTime() > VERIFY_DUE_MS ? "amber" : "green";
}

/** A sink's cursor as the page shows it: failing (its last round erred), stalled, catching up, or delivering. */
export function sinkState(c: AuditSinkCursor, now: Date): SinkState {
  const base = { name: c.name, deliveredUpTo: c.lastId, behind: c.backlog, deliveredAt: c.deliveredAt, lastError: c.lastError, updatedAt: c.updatedAt };
  if (c.lastError) return { ...base, tone: "red", status: "failing" };
  const quiet = now.getTime() - (c.deliveredAt ?? c.updatedAt).getTime();
  if (c.backlog > 0 && quiet > SINK_STALL_MS) return { ...base, tone: "red", status: "stalled" };
  if (c.backlog > 1000) return { ...base, tone: "amber", status: "catching up" };
  return { ...base, tone: "green", status: "delivering" };
}
