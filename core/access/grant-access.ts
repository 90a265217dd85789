import { and, eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { connections, grants, groups } from "../../drizzle/schema/index";

/** Creates the group if new, then lets its members use the connection. Idempotent. */
export async function grantAccess(db: Db, groupName: string, connectionName: string) {
  const [conn] = await db.select({ id: connections.id }).from(connections).where(eq(connections.name, connectionName));
  if (!conn) throw new Error(`no connection named "${connectionName}"`);
  const group = await ensureGroup(db, groupName);
  await db.insert(grants).values({ groupId: group.id, connectionId: conn.id }).onConflictDoNothing();
  return { group: groupName, connection: connectionName };
}

export async function revokeAccess(db: Db, groupName: string, connectionName: string) {
  const [conn] = await db.select({ id: connections.id }).from(connections).where(eq(connections.name, connectionName));
  const [group] = await db.select({ id: groups.id }).from(groups).where(eq(groups.name, groupName));
  if (!conn || !group) return { removed: false };
  const removed = await db
    .delete(grants)
    .where(and(eq(grants.groupId, group.id), eq(grants.connectionId, conn.id)))
    .returning();
  return { removed: removed.length > 0 };
}

export async function ensureGroup(db: Db, name: string): Promise<{ id: string }> {
  await db.insert(groups).values({ name }).onConflictDoNothing();
  const [row] = await db.select({ id: groups.id }).from(groups).where(eq(groups.name, name));
  return row;
}
