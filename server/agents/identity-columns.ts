import "server-only";
import { sql } from "drizzle-orm";
import { connections, grants, groups, keys, memberships } from "../../drizzle/schema/index";

// Correlated subqueries spell the outer row as "identities"."id" by hand: drizzle renders
// ${identities.id} unqualified in a select list, which inside the subquery would mean the inner row's id.
export const groupsOf = sql<string[]>`coalesce((select array_agg(g.name order by g.name) from ${memberships} m join ${groups} g on g.id = m.group_id where m.identity_id = "identities"."id"), '{}')`;

export const liveKeysOf = sql<number>`(select count(*)::int from ${keys} k where k.identity_id = "identities"."id" and k.revoked_at is null and (k.expires_at is null or k.expires_at > now()))`;

export const lastUsedOf = sql<Date | null>`(select max(k.last_used_at) from ${keys} k where k.identity_id = "identities"."id")`;

/** Connections any of the identity's groups may use: the databases its keys can open. */
export const reachableConnectionsOf = sql<
  string[]
>`coalesce((select array_agg(distinct c.name order by c.name) from ${memberships} m join ${grants} gr on gr.group_id = m.group_id join ${connections} c on c.id = gr.connection_id where m.identity_id = "identities"."id"), '{}')`;
