import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { accessRequests, connections, identities } from "../../drizzle/schema/index";
import { publish } from "../bus/event-bus";
import { ReviewDecisionError, type Decider } from "../reviews/decide-review";

const MAX_DURATION_S = 7 * 24 * 3600;

/** An identity asks to use a connection for `durationSeconds`; approvers decide. */
export async function requestAccess(db: Db, input: { identityName: string; connectionName: string; durationSeconds: number; reason: string; requestedBy: string }) {
  const reason = input.reason.trim();
  if (!reason) throw new ReviewDecisionError("INVALID", "say why access is needed: approvers decide on it");
  if (!Number.isInteger(input.durationSeconds) || input.durationSeconds < 60 || input.durationSeconds > MAX_DURATION_S) {
    throw new ReviewDecisionError("INVALID", "access can be asked for between 1 minute and 7 days");
  }
  const [identity] = await db.select({ id: identities.id, name: identities.name }).from(identities).where(eq(identities.name, input.identityName));
  if (!identity) throw new ReviewDecisionError("NOT_FOUND", `no identity named "${input.identityName}"`);
  const [connection] = await db.select({ id: connections.id, name: connections.name }).from(connections).where(eq(connections.name, input.connectionName));
  if (!connection) throw new ReviewDecisionError("NOT_FOUND", `no connection named "${input.connectionName}"`);
  const [row] = await db
    .insert(accessRequests)
    .values({
      identityId: identity.id,
      identityName: identity.name,
      connectionId: connection.id,
      connectionName: connection.name,
      durationSeconds: input.durationSeconds,
      reason: reason.slice(0, 1000),
      requestedBy: input.requestedBy,
    })
    .returning();
  return row;
}

/**
 * Approves (access starts now and ends `durationSeconds` later) or rejects a pending request.
 * Nobody decides on access for themselves.
 */
export async function decideAccessRequest(db: Db, input: { id: string; decision: "approve" | "reject"; reason?: string; decider: Decider }) {
  if (!/^[0-9a-f-]{36}$/i.test(input.id)) throw new ReviewDecisionError("NOT_FOUND", "no such access request");
  if (input.decision === "reject" && !input.reason?.trim()) throw new ReviewDecisionError("INVALID", "say why you reject it: the requester sees the reason");
  return db.transaction(async (tx) => {
    const [r] = await tx.select().from(accessRequests).where(eq(accessRequests.id, input.id)).for("update");
    if (!r) throw new ReviewDecisionError("NOT_FOUND", "no such access request");
    if (r.status !== "pending") throw new ReviewDecisionError("CONFLICT", `this request is already ${r.status}`);
    const self = [input.decider.email.toLowerCase(), input.decider.identityName?.toLowerCase()].filter(Boolean);
    if (self.includes(r.identityName.toLowerCase()) || r.requestedBy.toLowerCase() === input.decider.email.toLowerCase()) {
      throw new ReviewDecisionError("FORBIDDEN", "nobody approves their own access request: another approver must");
    }
    const [row] = await tx
      .update(accessRequests)
      .set(
        input.decision === "approve"
          ? {
              status: "approved",
              decidedBy: input.decider.email,
              decisionReason: input.reason?.trim() || null,
              decidedAt: sql`now()`,
              accessExpiresAt: sql`now() + make_interval(secs => ${r.durationSeconds})`,
            }
          : { status: "rejected", decidedBy: input.decider.email, decisionReason: input.reason!.trim(), decidedAt: sql`now()` },
      )
      .where(eq(accessRequests.id, r.id))
      .returning();
    return row;
  });
}

/** Ends approved access before its time; live sessions that depended on it end too. */
export async function revokeTemporaryAccess(db: Db, id: string, by: string) {
  const [row] = await db
    .update(accessRequests)
    .set({ revokedAt: sql`now()`, decisionReason: sql`coalesce(${accessRequests.decisionReason} || ' · ', '') || ${`revoked by ${by}`}` })
    .where(and(eq(accessRequests.id, id), eq(accessRequests.status, "approved"), isNull(accessRequests.revokedAt)))
    .returning();
  if (!row) throw new ReviewDecisionError("CONFLICT", "no live approved access with that id");
  await publish(db, "access.revoked", { identityId: row.identityId, connectionId: row.connectionId });
  return row;
}

export async function listAccessRequests(db: Db, opts: { pendingOnly?: boolean; identityName?: string; limit?: number } = {}) {
  return db
    .select()
    .from(accessRequests)
    .where(and(opts.pendingOnly ? eq(accessRequests.status, "pending") : undefined, opts.identityName ? eq(accessRequests.identityName, opts.identityName) : undefined))
    .orderBy(desc(accessRequests.createdAt))
    .limit(opts.limit ?? 200);
}
