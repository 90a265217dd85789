import "server-only";
import { and, asc, eq, lte, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../drizzle/client";
import { auditEvents, sessions } from "../../drizzle/schema/index";
import { AppError } from "../errors/app-error";

export const getSessionInput = z.object({ id: z.string().uuid(), cursor: z.number().int().min(0).nullish(), limit: z.number().int().min(1).max(500).default(200) });

/**
 * A session's record and one page of its timeline (its audit events in order, keyset by id), so a
 * session of 100,000 statements is read a page at a time.
 */
export async function getSession(db: Db, input: z.infer<typeof getSessionInput>) {
  const [session] = await db.select().from(sessions).where(eq(sessions.id, input.id));
  if (!session) throw new AppError("NOT_FOUND", "no such session");
  const events = await db
    .select({
      id: auditEvents.id,
      at: auditEvents.at,
      action: auditEvents.action,
      outcome: auditEvents.outcome,
      statement: auditEvents.statement,
      statementKind: auditEvents.statementKind,
      durationMs: auditEvents.durationMs,
      rows: auditEvents.rows,
      sqlstate: auditEvents.sqlstate,
      message: auditEvents.message,
      details: auditEvents.details,
      // Differs from the session's own only for an MCP client's calls (each names the connection it reached).
      connectionName: auditEvents.connectionName,
    })
    .from(auditEvents)
    // A range over the (session_id, id) index, from (session, cursor) to the session's end. Written as
    // `session_id = $1 order by id`, the planner walks the primary key for a session it knows is large
    // and filters out every older session's events on the way (80,000 rows for a 20,000-event one).
    .where(and(sql`(${auditEvents.sessionId}, ${auditEvents.id}) > (${input.id}::uuid, ${input.cursor ?? 0}::bigint)`, lte(auditEvents.sessionId, input.id)))
    .orderBy(asc(auditEvents.sessionId), asc(auditEvents.id))
    .limit(input.limit + 1);
  const page = events.slice(0, input.limit);
  return { session, events: page, nextAfter: events.length > input.limit ? page[page.length - 1].id : undefined, now: new Date() };
}
