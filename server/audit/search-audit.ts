import "server-only";
import { and, desc, eq, gte, ilike, lt, lte, or, type SQL } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { auditEvents } from "../../drizzle/schema/index";
import { likeEscape } from "../sessions/list-sessions";
import type { AuditFilter } from "./audit-filter";

export function auditWhere(f: AuditFilter, beforeId?: number): SQL | undefined {
  const text = f.q ? `%${likeEscape(f.q)}%` : undefined;
  return and(
    text ? or(ilike(auditEvents.statement, text), ilike(auditEvents.message, text)) : undefined,
    f.identity ? eq(auditEvents.identityName, f.identity) : undefined,
    f.connection ? eq(auditEvents.connectionName, f.connection) : undefined,
    f.action ? eq(auditEvents.action, f.action) : undefined,
    f.outcome ? eq(auditEvents.outcome, f.outcome) : undefined,
    f.session ? eq(auditEvents.sessionId, f.session) : undefined,
    f.from ? gte(auditEvents.at, f.from) : undefined,
    f.to ? lte(auditEvents.at, f.to) : undefined,
    beforeId ? lt(auditEvents.id, beforeId) : undefined,
  );
}

/** Newest first, keyset by id: the 2,000th page costs what the first does. */
export async function searchAudit(db: Db, f: AuditFilter & { cursor?: number | null; limit?: number }) {
  const limit = f.limit ?? 50;
  const rows = await db.select().from(auditEvents).where(auditWhere(f, f.cursor ?? undefined)).orderBy(desc(auditEvents.id)).limit(limit + 1);
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? items[items.length - 1].id : undefined };
}
