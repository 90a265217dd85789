import "server-only";
import { and, count, eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { sessions } from "../../drizzle/schema/index";

/** Sessions open on a connection right now (on any gateway instance). */
export async function countLiveSessions(db: Db, connectionId: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(sessions)
    .where(and(eq(sessions.connectionId, connectionId), eq(sessions.status, "active")));
  return row?.n ?? 0;
}
