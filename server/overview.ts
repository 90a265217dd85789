import "server-only";
import { desc, gt, sql } from "drizzle-orm";
import { auditEvents, connections, identities, sessions } from "../drizzle/schema/index";
import { getDb } from "./db";

const count = sql<number>`count(*)::int`;

/** What the overview page shows: a few counts and the latest audit events. */
export async function getOverview() {
  const db = getDb();
  const dayAgo = new Date(Date.now() - 86_400_000);
  const [[c], [i], [s], [a], latest] = await Promise.all([
    db.select({ n: count }).from(connections),
    db.select({ n: count }).from(identities),
    db.select({ n: count }).from(sessions).where(sql`${sessions.status} = 'active'`),
    db.select({ n: count }).from(auditEvents).where(gt(auditEvents.at, dayAgo)),
    db.select().from(auditEvents).orderBy(desc(auditEvents.id)).limit(20),
  ]);
  return { connections: c.n, identities: i.n, activeSessions: s.n, auditLastDay: a.n, latest };
}
