import "server-only";
import { and, desc, eq, gte, ilike, lt, lte, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { auditEvents } from "../../drizzle/schema/index";
import { likeEscape } from "../sessions/like-escape";
import type { AuditFilter } from "./audit-filter";

const MAX_ID = "9223372036854775807";

/**
 * Keyset bound for one session's events, newest first: a range over the (session_id, id) index.
 * Written as `session_id = $1 and id < $2`, the planner walks the primary key for a session it
 * knows is large and reads every newer session's events on the way.
 */
const sessionBefore = (sessionId: string, beforeId?: number) =>
  and(sql`(${auditEvents.sessionId}, ${auditEvents.id}) < (${sessionId}::uuid, ${beforeId ? String(beforeId) : MAX_ID}::bigint)`, gte(auditEvents.sessionId, sessionId));

/** The filters as SQL, plus the keyset bound of the page (events older than `beforeId`). */
export function auditWhere(f: AuditFilter, beforeId?: number): SQL | undefined {
  const text = f.q ? `%${likeEscape(f.q)}%` : undefined;
  return and(
    text ? or(ilike(auditEvents.statement, text), ilike(auditEvents.message, text)) : undefined,
    f.identity ? eq(auditEvents.identityName, f.identity) : undefined,
    f.connection ? eq(auditEvents.connectionName, f.connection) : undefined,
    f.action ? eq(auditEvents.action, f.action) : undefined,
    f.outcome ? eq(auditEvents.outcome, f.outcome) : undefined,
    f.from ? gte(auditEvents.at, f.from) : undefined,
    f.to ? lte(auditEvents.at, f.to) : undefined,
    f.session ? sessionBefore(f.session, beforeId) : beforeId ? lt(auditEvents.id, beforeId) : undefined,
  );
}

/** Newest first; within one session, in the order of the (session_id, id) index (the same order). */
export const auditOrder = (f: AuditFilter) => (f.session ? [desc(auditEvents.sessionId), desc(auditEvents.id)] : [desc(auditEvents.id)]);

// Free text is served by trigram indexes (drizzle/schema/audit-events.ts), which fetch every
// match to sort them newest first: cheap for a rare term, not for one matching tens of thousands of
// events (and the planner takes a long pattern for a rare one). A common term's newest page lies
// among the newest few thousand events, which the primary key reads in a few milliseconds; so
// those are searched first, and only a term with less than a page there goes to the indexes.
const RECENT_WINDOW = 5000;

/** Newest first, keyset by id: the 2,000th page costs what the first does. */
export async function searchAudit(db: Db, f: AuditFilter & { cursor?: number | null; limit?: number }) {
  const limit = f.limit ?? 50;
  const query = (extra?: SQL) =>
    db
      .select()
      .from(auditEvents)
      .where(and(auditWhere(f, f.cursor ?? undefined), extra))
      .orderBy(...auditOrder(f))
      .limit(limit + 1);
  let rows: Awaited<ReturnType<typeof query>> = [];
  if (f.q && !f.session) {
    // Every event newer than the window's lower bound is looked at: a full page here is the page.
    const upper = f.cursor ? sql`${String(f.cursor)}::bigint` : sql`(select coalesce(max(${auditEvents.id}), 0) + 1 from ${auditEvents})`;
    rows = await query(sql`${auditEvents.id} > ${upper} - ${RECENT_WINDOW}`);
  }
  if (rows.length <= limit) rows = await query();
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? items[items.length - 1].id : undefined };
}
