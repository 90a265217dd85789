import type { Db } from "../../drizzle/client";

export type BenchCase = { name: string; run: () => Promise<unknown> };
export type Picks = { sessionId: string; longSessionId: string; identity: string; midEventId: number; oldFrom: Date; oldTo: Date };

/**
 * What a person does on the console's audit and sessions pages, as the domain functions the tRPC
 * procedures call. Besides the common pages, the filters that match little or nothing (they cost
 * most when nothing but the primary key serves the filter) and a deep keyset page.
 */
export async function consoleCases(db: Db, p: Picks): Promise<BenchCase[]> {
  const { searchAudit } = await import("../../server/audit/search-audit");
  const { listSessions } = await import("../../server/sessions/list-sessions");
  const { getSession } = await import("../../server/sessions/get-session");
  const firstSessions = await listSessions(db, { limit: 50 });
  const firstTimeline = await getSession(db, { id: p.sessionId, limit: 200 });
  const long = await getSession(db, { id: p.longSessionId, limit: 200 });
  const longMiddle = (long.events[0]?.id ?? 0) + 10_000;
  return [
    { name: "audit: first page", run: () => searchAudit(db, { limit: 50 }) },
    { name: "audit: identity", run: () => searchAudit(db, { identity: p.identity, limit: 50 }) },
    { name: "audit: connection + outcome denied", run: () => searchAudit(db, { connection: "pg-7", outcome: "denied", limit: 50 }) },
    { name: "audit: connection with no match", run: () => searchAudit(db, { connection: "no-such-connection", limit: 50 }) },
    { name: "audit: action console.connection.update", run: () => searchAudit(db, { action: "console.connection.update", limit: 50 }) },
    { name: "audit: time window 27-28 days ago", run: () => searchAudit(db, { from: p.oldFrom, to: p.oldTo, limit: 50 }) },
    { name: "audit: deep page (keyset at event 50,000)", run: () => searchAudit(db, { cursor: p.midEventId, limit: 50 }) },
    { name: "audit: text 'customer_id = 4242'", run: () => searchAudit(db, { q: "customer_id = 4242", limit: 50 }) },
    { name: "audit: text with no match", run: () => searchAudit(db, { q: "no such statement text", limit: 50 }) },
    { name: "audit: text 'from orders where' (common)", run: () => searchAudit(db, { q: "from orders where", limit: 50 }) },
    { name: "audit: text '42424' (digits alone)", run: () => searchAudit(db, { q: "42424", limit: 50 }) },
    { name: "audit: text 'sku-4242'' (rare, other case)", run: () => searchAudit(db, { q: "sku-4242'", limit: 50 }) },
    { name: "audit: text 'unique constraint' (message)", run: () => searchAudit(db, { q: "unique constraint", limit: 50 }) },
    { name: "audit: one session's events (from its page)", run: () => searchAudit(db, { session: p.sessionId, limit: 50 }) },
    { name: "audit: the long session's events, page 2", run: () => searchAudit(db, { session: p.longSessionId, cursor: longMiddle, limit: 50 }) },
    { name: "sessions: first page", run: () => listSessions(db, { limit: 50 }) },
    { name: "sessions: identity + closed", run: () => listSessions(db, { identity: p.identity, status: "closed", limit: 50 }) },
    { name: "sessions: connection + active", run: () => listSessions(db, { connection: "pg-3", status: "active", limit: 50 }) },
    { name: "sessions: second page (keyset)", run: () => listSessions(db, { limit: 50, cursor: firstSessions.nextCursor }) },
    { name: "session page: record + first 200 events", run: () => getSession(db, { id: p.sessionId, limit: 200 }) },
    { name: "session page: next timeline page", run: () => getSession(db, { id: p.sessionId, cursor: firstTimeline.events[3]?.id ?? 0, limit: 200 }) },
    { name: "long session (20k statements): first page", run: () => getSession(db, { id: p.longSessionId, limit: 200 }) },
    { name: "long session: page at statement 10,000", run: () => getSession(db, { id: p.longSessionId, cursor: longMiddle, limit: 200 }) },
  ];
}
