import "server-only";
import { desc, gt, sql } from "drizzle-orm";
import { auditEvents, connections, grants, identities, keys, reviews, sessions } from "../drizzle/schema/index";
import { getDb } from "./db";
import { identitiesNearBudgets } from "./budgets/manage-budgets";

const count = sql<number>`count(*)::int`;

/** What the overview page shows: a few counts, how far setup has come, and the latest audit events. */
export async function getOverview(opts: { withAudit: boolean } = { withAudit: false }) {
  const db = getDb();
  const dayAgo = new Date(Date.now() - 86_400_000);
  const [[c], [g], [i], [k], firstSession, [active], [pending], [a], latest, budgets] = await Promise.all([
    db.select({ n: count }).from(connections),
    db.select({ n: count }).from(grants),
    db.select({ n: count }).from(identities),
    db.select({ n: count }).from(keys),
    db.select({ id: sessions.id }).from(sessions).limit(1),
    db
      .select({ n: count })
      .from(sessions)
      .where(sql`${sessions.status} = 'active'`),
    db
      .select({ n: count })
      .from(reviews)
      .where(sql`${reviews.status} = 'pending'`),
    db.select({ n: count }).from(auditEvents).where(gt(auditEvents.at, dayAgo)),
    // Only roles that may read the audit log get its rows; callers that do not say get none (me.overview is open to every role).
    opts.withAudit
      ? db
          .select({
            id: auditEvents.id,
            at: auditEvents.at,
            identityName: auditEvents.identityName,
            connectionName: auditEvents.connectionName,
            statementKind: auditEvents.statementKind,
            action: auditEvents.action,
            outcome: auditEvents.outcome,
            sqlstate: auditEvents.sqlstate,
            statement: auditEvents.statement,
            message: auditEvents.message,
          })
          .from(auditEvents)
          .orderBy(desc(auditEvents.id))
          .limit(10)
      : Promise.resolve([]),
    identitiesNearBudgets(db),
  ]);
  return {
    connections: c.n,
    grants: g.n,
    identities: i.n,
    keysIssued: k.n,
    anySession: firstSession.length > 0,
    activeSessions: active.n,
    pendingReviews: pending.n,
    auditLastDay: a.n,
    latest,
    /** Identities at or past a budget's warning mark (near) or past a budget (over) in its current window. */
    budgets,
  };
}
