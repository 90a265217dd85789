import "server-only";
import { asc, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { connections, grants, groups, sessions } from "../../drizzle/schema/index";

/** Connections with the groups that may use them and how many sessions are live; never a secret. */
export async function listConnections(db: Db) {
  return db
    .select({
      id: connections.id, name: connections.name, type: connections.type, settings: connections.settings, createdAt: connections.createdAt, updatedAt: connections.updatedAt,
      hasSecret: sql<boolean>`${connections.secretEnc} is not null`,
      groups: sql<string[]>`coalesce((select array_agg(g.name order by g.name) from ${grants} gr join ${groups} g on g.id = gr.group_id where gr.connection_id = "connections"."id"), '{}')`,
      activeSessions: sql<number>`(select count(*)::int from ${sessions} s where s.connection_id = "connections"."id" and s.status = 'active')`,
    })
    .from(connections)
    .orderBy(asc(connections.name));
}
