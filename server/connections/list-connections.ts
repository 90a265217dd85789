import "server-only";
import { asc, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { connections, connectors, grants, groups, sessions } from "../../drizzle/schema/index";
import { describeConnection } from "../../core/connections/registry";

/**
 * Connections with the groups that may use them, how many sessions are live, and how their type
 * describes them (label, target lines, terminal); never a secret. A type this Gatehouse does not
 * know is listed with a warning, so it can still be deleted.
 */
export async function listConnections(db: Db) {
  const rows = await db
    .select({
      id: connections.id,
      name: connections.name,
      type: connections.type,
      settings: connections.settings,
      createdAt: connections.createdAt,
      updatedAt: connections.updatedAt,
      hasSecret: sql<boolean>`${connections.secretEnc} is not null`,
      groups: sql<string[]>`coalesce((select array_agg(g.name order by g.name) from ${grants} gr join ${groups} g on g.id = gr.group_id where gr.connection_id = "connections"."id"), '{}')`,
      /** The connector the target is reached through, or null: the gateway dials it. */
      connector: sql<string | null>`(select k.name from ${connectors} k where k.id = "connections"."connector_id")`,
      activeSessions: sql<number>`(select count(*)::int from ${sessions} s where s.connection_id = "connections"."id" and s.status = 'active')`,
    })
    .from(connections)
    .orderBy(asc(connections.name));
  return rows.map((row) => {
    const { typeLabel, known, terminal, summary } = describeConnection(row);
    return { ...row, typeLabel, known, terminal, summary };
  });
}
