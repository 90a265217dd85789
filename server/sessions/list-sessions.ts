import "server-only";
import { and, desc, eq, gte, ilike, lt, lte, or, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../drizzle/client";
import { auditEvents, sessions } from "../../drizzle/schema/index";
import { likeEscape } from "./like-escape";

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

/** The list counts statements, commands or requests up to this many per session; beyond it the row says "1,000+". */
const STATEMENT_COUNT_CAP = 1000;
const COUNTED_ACTIONS = sql.raw("('statement', 'request', 'command', 'mcp.tool.call')");

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
      id: sessions.id,
      identityName: sessions.identityName,
      connectionName: sessions.connectionName,
      protocol: sessions.protocol,
      clientAddr: sessions.clientAddr,
      clientApp: sessions.clientApp,
      status: sessions.status,
      startedAt: sessions.startedAt,
      endedAt: sessions.endedAt,
      endReason: sessions.endReason,
      // What the session did: statements (SQL), requests (HTTP, Kubernetes, MCP), commands (SSH; a
      // browser psql terminal's are the statements of the Postgres sessions it opened, which name it
      // as their application). Capped so one agent session with a million statements cannot slow
      // the list that refreshes every few seconds.
      // Two branches, not one OR: an OR across the two made every row scan the whole audit log (2 s a
      // page at 100,000 events); each branch here is an index lookup, and the terminal's only runs for
      // terminal rows (a one-time filter).
      statements: sql<number>`(select count(*)::int from (
        select 1 from ${auditEvents} a where a.session_id = "sessions"."id" and a.action in ${COUNTED_ACTIONS}
        union all
        select 1 from ${sessions} s2 join ${auditEvents} a on a.session_id = s2.id
          where "sessions"."protocol" = 'terminal' and s2.client_app = 'gatehouse-terminal-' || "sessions"."id"::text and a.action in ${COUNTED_ACTIONS}
        limit ${STATEMENT_COUNT_CAP + 1}) c)`,
    })
    .from(sessions)
    .where(where)
    .orderBy(desc(sessions.startedAt), desc(sessions.id))
    .limit(input.limit + 1);
  const items = rows.slice(0, input.limit).map((r) => ({ ...r, statements: Math.min(r.statements, STATEMENT_COUNT_CAP), moreStatements: r.statements > STATEMENT_COUNT_CAP }));
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > input.limit && last ? { startedAt: last.startedAt, id: last.id } : undefined, now: new Date() };
}
