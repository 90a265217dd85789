import "server-only";
import { and, asc, desc, eq, gt, gte, ilike, lt, lte, or, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../drizzle/client";
import { auditEvents, sessions } from "../../drizzle/schema/index";
import { AppError } from "../errors/app-error";

export const sessionFilterSchema = z.object({
  identity: z.string().trim().max(200).optional(),
  connection: z.string().trim().max(200).optional(),
  status: z.enum(["active", "closed", "failed"]).optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
});
export const listSessionsInput = sessionFilterSchema.extend({
  cursor: z.object({ startedAt: z.coerce.date(), id: z.string().uuid() }).optional(),
  limit: z.number().int().min(1).max(200).default(50),
});

/** `%` and `_` typed by a person are literal characters, not wildcards. */
export const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Sessions newest first, filtered, in keyset pages by (started_at, id): page 500 costs what page 1 does. */
export async function listSessions(db: Db, input: z.infer<typeof listSessionsInput>) {
  const where = and(
    input.identity ? ilike(sessions.identityName, `${likeEscape(input.identity)}%`) : undefined,
    input.connection ? eq(sessions.connectionName, input.connection) : undefined,
    input.status ? eq(sessions.status, input.status) : undefined,
    input.from ? gte(sessions.startedAt, input.from) : undefined,
    input.to ? lte(sessions.startedAt, input.to) : undefined,
    input.cursor ? or(lt(sessions.startedAt, input.cursor.startedAt), and(eq(sessions.startedAt, input.cursor.startedAt), lt(sessions.id, input.cursor.id))) : undefined,
  );
  const rows = await db
    .select({
      id: sessions.id, identityName: sessions.identityName, connectionName: sessions.connectionName, protocol: sessions.protocol, clientAddr: sessions.clientAddr,
      clientApp: sessions.clientApp, status: sessions.status, startedAt: sessions.startedAt, endedAt: sessions.endedAt, endReason: sessions.endReason,
      statements: sql<number>`(select count(*)::int from ${auditEvents} a where a.session_id = "sessions"."id" and a.action = 'statement')`,
    })
    .from(sessions)
    .where(where)
    .orderBy(desc(sessions.startedAt), desc(sessions.id))
    .limit(input.limit + 1);
  const items = rows.slice(0, input.limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > input.limit && last ? { startedAt: last.startedAt, id: last.id } : undefined, now: new Date() };
}

export const sessionPageInput = z.object({ id: z.string().uuid(), cursor: z.number().int().min(0).nullish(), limit: z.number().int().min(1).max(500).default(200) });

/** A session's record and one page of its timeline (audit events in order, by id). */
export async function getSessionPage(db: Db, input: z.infer<typeof sessionPageInput>) {
  const [session] = await db.select().from(sessions).where(eq(sessions.id, input.id));
  if (!session) throw new AppError("NOT_FOUND", "no such session");
  const events = await db
    .select({
      id: auditEvents.id, at: auditEvents.at, action: auditEvents.action, outcome: auditEvents.outcome, statement: auditEvents.statement, statementKind: auditEvents.statementKind,
      durationMs: auditEvents.durationMs, rows: auditEvents.rows, sqlstate: auditEvents.sqlstate, message: auditEvents.message,
    })
    .from(auditEvents)
    .where(and(eq(auditEvents.sessionId, input.id), gt(auditEvents.id, input.cursor ?? 0)))
    .orderBy(asc(auditEvents.id))
    .limit(input.limit + 1);
  const page = events.slice(0, input.limit);
  return { session, events: page, nextAfter: events.length > input.limit ? page[page.length - 1].id : undefined, now: new Date() };
}
