import { and, asc, eq, gt } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { auditEvents, connections, sessions } from "../../drizzle/schema/index";

/** Audit events oldest first, in pages by id so that any size streams with flat memory. */
export async function* listAudit(db: Db, filter: { sessionId?: string } = {}, pageSize = 1000) {
  let after = 0;
  for (;;) {
    const page = await db
      .select()
      .from(auditEvents)
      .where(and(gt(auditEvents.id, after), filter.sessionId ? eq(auditEvents.sessionId, filter.sessionId) : undefined))
      .orderBy(asc(auditEvents.id))
      .limit(pageSize);
    yield* page;
    if (page.length < pageSize) return;
    after = page[page.length - 1].id;
  }
}

export async function listSessions(db: Db) {
  return db.select().from(sessions).orderBy(asc(sessions.startedAt));
}

export async function getSession(db: Db, id: string) {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const [row] = await db.select().from(sessions).where(eq(sessions.id, id));
  return row;
}

/** Connections without their secrets: the sealed part never leaves the database through here. */
export async function listConnections(db: Db) {
  return db
    .select({ id: connections.id, name: connections.name, type: connections.type, settings: connections.settings, createdAt: connections.createdAt })
    .from(connections)
    .orderBy(asc(connections.name));
}
