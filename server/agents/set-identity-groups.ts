import "server-only";
import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { groups, identities, memberships } from "../../drizzle/schema/index";
import { ensureGroup } from "../../core/access/grant-access";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";

/**
 * Adds an identity to groups (creating new ones) and removes it from others. Like the Access page,
 * this governs new sessions: the gateway checks groups when a session opens.
 */
export async function setIdentityGroups(db: Db, user: ConsoleUserContext, input: { id: string; add: string[]; remove: string[] }) {
  const [identity] = await db.select({ id: identities.id, name: identities.name }).from(identities).where(eq(identities.id, input.id));
  if (!identity) throw new AppError("NOT_FOUND", "no such identity");
  const before = await groupNames(db, identity.id);
  for (const name of input.add) {
    const g = await ensureGroup(db, name);
    await db.insert(memberships).values({ identityId: identity.id, groupId: g.id }).onConflictDoNothing();
  }
  if (input.remove.length) {
    const gone = db.select({ id: groups.id }).from(groups).where(inArray(groups.name, input.remove));
    await db.delete(memberships).where(and(eq(memberships.identityId, identity.id), inArray(memberships.groupId, gone)));
  }
  const after = await groupNames(db, identity.id);
  await recordConsoleEvent(db, { action: "console.agent.set_groups", outcome: "ok", actor: user.email, target: identity.name, before: { groups: before }, after: { groups: after } });
  return { groups: after };
}

async function groupNames(db: Db, identityId: string): Promise<string[]> {
  const rows = await db.select({ name: groups.name }).from(memberships).innerJoin(groups, eq(groups.id, memberships.groupId)).where(eq(memberships.identityId, identityId)).orderBy(groups.name);
  return rows.map((r) => r.name);
}
