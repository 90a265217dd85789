import "server-only";
import { and, desc, eq, getTableColumns, gte, lt, lte, sql, type SQL } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { auditEvents } from "../../drizzle/schema/index";
import { textCondition, textTerm, type TextTerm } from "./text-term";
import type { AuditFilter } from "./audit-filter";

const MAX_ID = "9223372036854775807";

/**
 * Keyset bound for one session's events, newest first: a range over the (session_id, id) index.
 * Written as `session_id = $1 and id < $2`, the planner walks the primary key for a session it
 * knows is large and reads every newer session's events on the way.
 */
const sessionBefore = (sessionId: string, beforeId?: number) =>
  and(sql`(${auditEvents.sessionId}, ${auditEvents.id}) < (${sessionId}::uuid, ${beforeId ? String(beforeId) : MAX_ID}::bigint)`, gte(auditEvents.sessionId, sessionId));

/**
 * A time window pages by the (at, id) index, newest first by time: the keyset is the row
 * comparison `(at, id) < (the cursor event's at, its id)`, the cursor still an event id. Paged by id
 * instead, the planner walks the primary key down from the newest event, expecting the window's
 * rows to be spread evenly, and reads every event newer than the window first (a window a month back
 * took 265-314 ms at a million events on the embedded database).
 */
const byTime = (f: AuditFilter) => !f.session && Boolean(f.from || f.to);
const timeBefore = (beforeId: number) => sql`(${auditEvents.at}, ${auditEvents.id}) < ((select e.at from ${auditEvents} e where e.id = ${beforeId}), ${beforeId}::bigint)`;

/** The filters as SQL, plus the keyset bound of the page (events older than `beforeId`); `text`, the filter's text resolved by textTerm. */
export function auditWhere(f: AuditFilter, beforeId?: number, text?: TextTerm): SQL | undefined {
  // A search text left unresolved would be dropped from the filter, and every event would match.
  if (f.q && !text) throw new Error("auditWhere: resolve the filter's search text with textTerm first");
  return and(
    text ? textCondition(text) : undefined,
    f.identity ? eq(auditEvents.identityName, f.identity) : undefined,
    f.connection ? eq(auditEvents.connectionName, f.connection) : undefined,
    f.action ? eq(auditEvents.action, f.action) : undefined,
    f.outcome ? eq(auditEvents.outcome, f.outcome) : undefined,
    f.from ? gte(auditEvents.at, f.from) : undefined,
    f.to ? lte(auditEvents.at, f.to) : undefined,
    f.session ? sessionBefore(f.session, beforeId) : !beforeId ? undefined : byTime(f) ? timeBefore(beforeId) : lt(auditEvents.id, beforeId),
  );
}

/** An event as the console shows and exports it: without the columns that only serve the search. */
const { shapeHash: _shape, numbers: _numbers, ...eventColumns } = getTableColumns(auditEvents);
export const EVENT_COLUMNS = eventColumns;
export type AuditEventRow = { [K in keyof typeof eventColumns]: (typeof auditEvents.$inferSelect)[K] };

/** Newest first; within one session, in the order of the (session_id, id) index (the same order); in a time window, by time. */
export const auditOrder = (f: AuditFilter) => (f.session ? [desc(auditEvents.sessionId), desc(auditEvents.id)] : byTime(f) ? [desc(auditEvents.at), desc(auditEvents.id)] : [desc(auditEvents.id)]);

/** Newest first, keyset by id (in a time window by time, then id): the 2,000th page costs what the first does. */
export async function searchAudit(db: Db, f: AuditFilter & { cursor?: number | null; limit?: number }) {
  const limit = f.limit ?? 50;
  const rows = await db
    .select(EVENT_COLUMNS)
    .from(auditEvents)
    .where(auditWhere(f, f.cursor ?? undefined, f.q ? await textTerm(db, f.q) : undefined))
    .orderBy(...auditOrder(f))
    .limit(limit + 1);
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? items[items.length - 1].id : undefined };
}
