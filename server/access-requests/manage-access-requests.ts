import "server-only";
import { asc, desc, eq, or } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { accessRequests, connections, identities } from "../../drizzle/schema/index";
import { decideAccessRequest, requestAccess, revokeTemporaryAccess } from "../../core/access/access-requests";
import { ReviewDecisionError } from "../../core/reviews/decide-review";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";

const mayDecide = (u: ConsoleUserContext) => u.role === "admin" || u.role === "approver";

async function linkedIdentityName(db: Db, user: ConsoleUserContext): Promise<string | null> {
  if (!user.identityId) return null;
  const [row] = await db.select({ name: identities.name }).from(identities).where(eq(identities.id, user.identityId));
  return row?.name ?? null;
}

function asAppError(err: unknown): never {
  if (err instanceof ReviewDecisionError) throw new AppError(err.code === "INVALID" ? "INVALID_INPUT" : err.code, err.message, err.code === "INVALID" ? { reason: err.message } : undefined);
  throw err;
}

/** What the request form offers: every connection name, and the identities this person may ask for. */
export async function accessRequestOptions(db: Db, user: ConsoleUserContext) {
  const conns = await db.select({ name: connections.name, type: connections.type }).from(connections).orderBy(asc(connections.name));
  const own = await linkedIdentityName(db, user);
  const ids = mayDecide(user) ? (await db.select({ name: identities.name }).from(identities).orderBy(asc(identities.name))).map((i) => i.name) : own ? [own] : [];
  return { connections: conns, identities: ids, ownIdentity: own, canDecide: mayDecide(user) };
}

/** Approvers and admins see every request; others see the ones they filed or that are for their identity. */
export async function listAccessRequestsFor(db: Db, user: ConsoleUserContext) {
  const own = await linkedIdentityName(db, user);
  const mine = or(eq(accessRequests.requestedBy, user.email), own ? eq(accessRequests.identityName, own) : undefined);
  return {
    items: await db
      .select()
      .from(accessRequests)
      .where(mayDecide(user) ? undefined : mine)
      .orderBy(desc(accessRequests.createdAt))
      .limit(200),
    canDecide: mayDecide(user),
    now: new Date(),
  };
}

export async function fileAccessRequest(db: Db, user: ConsoleUserContext, input: { identityName: string; connectionName: string; durationSeconds: number; reason: string }) {
  const own = await linkedIdentityName(db, user);
  if (!mayDecide(user) && input.identityName !== own) {
    throw new AppError("FORBIDDEN", own ? `you may ask for access for your own identity (${own}) only` : "your console account is not linked to a gateway identity; ask an admin to link it");
  }
  const row = await requestAccess(db, { ...input, requestedBy: user.email }).catch(asAppError);
  await recordConsoleEvent(db, {
    action: "console.access_request.create",
    outcome: "ok",
    actor: user.email,
    connectionName: row.connectionName,
    target: row.id,
    after: row,
    message: `asked for ${row.identityName} to use ${row.connectionName} for ${row.durationSeconds}s: ${row.reason}`,
  });
  return row;
}

export async function decideAccessRequestAsUser(db: Db, user: ConsoleUserContext & { groups: string[] }, input: { id: string; decision: "approve" | "reject"; reason?: string }) {
  const identityName = await linkedIdentityName(db, user);
  const row = await decideAccessRequest(db, { ...input, decider: { email: user.email, identityName, groups: user.groups } }).catch(async (err) => {
    await recordConsoleEvent(db, { action: `console.access_request.${input.decision}`, outcome: "denied", actor: user.email, target: input.id, message: (err as Error).message });
    return asAppError(err);
  });
  await recordConsoleEvent(db, {
    action: `console.access_request.${input.decision}`,
    outcome: "ok",
    actor: user.email,
    connectionName: row.connectionName,
    target: row.id,
    after: row,
    message: `${row.status} ${row.identityName} -> ${row.connectionName}`,
  });
  return row;
}

export async function revokeAccessRequestAsUser(db: Db, user: ConsoleUserContext, id: string) {
  const row = await revokeTemporaryAccess(db, id, user.email).catch(asAppError);
  await recordConsoleEvent(db, {
    action: "console.access_request.revoke",
    outcome: "ok",
    actor: user.email,
    connectionName: row.connectionName,
    target: row.id,
    message: `revoked ${row.identityName} -> ${row.connectionName}`,
  });
  return row;
}
