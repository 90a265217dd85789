import "server-only";
import { and, asc, eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { connections, grants, groups, identities, memberships } from "../../drizzle/schema/index";
import { publish } from "../../gateway/bus/event-bus";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";

export const GROUP_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.:-]{0,62}$/;

/** Every group with its members and the connections it may use, plus what can be added. */
export async function accessOverview(db: Db) {
  const [groupRows, members, grantRows, allConnections, allIdentities] = await Promise.all([
    db.select({ id: groups.id, name: groups.name, createdAt: groups.createdAt }).from(groups).orderBy(asc(groups.name)),
    db.select({ groupId: memberships.groupId, name: identities.name, kind: identities.kind }).from(memberships).innerJoin(identities, eq(identities.id, memberships.identityId)).orderBy(asc(identities.name)),
    db.select({ groupId: grants.groupId, connectionId: grants.connectionId }).from(grants),
    db.select({ id: connections.id, name: connections.name, type: connections.type }).from(connections).orderBy(asc(connections.name)),
    db.select({ name: identities.name, kind: identities.kind }).from(identities).orderBy(asc(identities.name)),
  ]);
  return {
    groups: groupRows.map((g) => ({
      ...g,
      members: members.filter((m) => m.groupId === g.id).map(({ name, kind }) => ({ name, kind })),
      connectionIds: grantRows.filter((r) => r.groupId === g.id).map((r) => r.connectionId),
    })),
    connections: allConnections,
    identities: allIdentities,
  };
}

async function groupById(db: Db, id: string) {
  const [g] = await db.select().from(groups).where(eq(groups.id, id));
  if (!g) throw new AppError("NOT_FOUND", "no such group (it may have been deleted)");
  return g;
}

export async function createGroup(db: Db, user: ConsoleUserContext, name: string) {
  if (!GROUP_NAME.test(name)) throw new AppError("INVALID_INPUT", "a group name is 1-63 letters, digits, '.', '_', ':' or '-'", { name: "1-63 letters, digits, '.', '_', ':' or '-'" });
  const [row] = await db.insert(groups).values({ name }).onConflictDoNothing().returning();
  if (!row) throw new AppError("CONFLICT", `a group named "${name}" already exists`, { name: "that name is taken" });
  await recordConsoleEvent(db, { action: "console.group.create", outcome: "ok", actor: user.email, target: name, after: row });
  return row;
}

export async function deleteGroup(db: Db, user: ConsoleUserContext, id: string) {
  const g = await groupById(db, id);
  await db.delete(groups).where(eq(groups.id, id));
  await publish(db, "grants.changed", { groupId: id });
  await recordConsoleEvent(db, { action: "console.group.delete", outcome: "ok", actor: user.email, target: g.name, before: g });
}

export async function setMembership(db: Db, user: ConsoleUserContext, input: { groupId: string; identityName: string; member: boolean }) {
  const g = await groupById(db, input.groupId);
  const [identity] = await db.select({ id: identities.id }).from(identities).where(eq(identities.name, input.identityName));
  if (!identity) throw new AppError("NOT_FOUND", `no identity named "${input.identityName}" (agents appear once they have a key)`, { identityName: "no such identity" });
  if (input.member) await db.insert(memberships).values({ identityId: identity.id, groupId: g.id }).onConflictDoNothing();
  else await db.delete(memberships).where(and(eq(memberships.identityId, identity.id), eq(memberships.groupId, g.id)));
  await recordConsoleEvent(db, { action: `console.group.${input.member ? "add_member" : "remove_member"}`, outcome: "ok", actor: user.email, target: g.name, message: `${input.identityName} ${input.member ? "added to" : "removed from"} ${g.name}` });
}

/** Lets a group use a connection, or takes it back (new sessions are checked against grants). */
export async function setGrant(db: Db, user: ConsoleUserContext, input: { groupId: string; connectionId: string; granted: boolean }) {
  const g = await groupById(db, input.groupId);
  const [c] = await db.select({ id: connections.id, name: connections.name }).from(connections).where(eq(connections.id, input.connectionId));
  if (!c) throw new AppError("NOT_FOUND", "no such connection");
  if (input.granted) await db.insert(grants).values({ groupId: g.id, connectionId: c.id }).onConflictDoNothing();
  else await db.delete(grants).where(and(eq(grants.groupId, g.id), eq(grants.connectionId, c.id)));
  await publish(db, "grants.changed", { groupId: g.id, connectionId: c.id });
  await recordConsoleEvent(db, { action: `console.grant.${input.granted ? "add" : "remove"}`, outcome: "ok", actor: user.email, connectionName: c.name, target: g.name, message: `${g.name} ${input.granted ? "may now use" : "may no longer use"} ${c.name}` });
  return { granted: input.granted };
}
