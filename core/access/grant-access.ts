import { and, eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { grants, groups } from "../../drizzle/schema/index";
import { connectionId, findConnectionId } from "../connections/connection-id";

/** Creates the group if new, then lets its members use the connection. Idempotent. */
export async function grantAccess(db: Db, groupName: string, connectionName: string) {
  const id = await connectionId(db, connectionName);
  const group = await ensureGroup(db, groupName);
  await db.insert(grants).values({ groupId: group.id, connectionId: id }).onConflictDoNothing();
  return { group: groupName, connection: connectionName };
}

export async function revokeAccess(db: Db, groupName: string, connectionName: string) {
  const id = await findConnectionId(db, connectionName);
  const [group] = await db.select({ id: groups.id }).from(groups).where(eq(groups.name, groupName));
  if (id === undefined || !group) return { removed: false };
  const removed = await db
    .delete(grants)
    .where(and(eq(grants.groupId, group.id), eq(grants.connectionId, id)))
    .returning();
  return { removed: removed.length > 0 };
}

export async function ensureGroup(db: Db, name: string): Promise<{ id: string }> {
  await db.insert(groups).values({ name }).onConflictDoNothing();
  const [row] = await db.select({ id: groups.id }).from(groups).where(eq(groups.name, name));
  return row;
}
