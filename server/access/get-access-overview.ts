import "server-only";
import { asc, eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { connections, grants, groups, identities, memberships } from "../../drizzle/schema/index";

/** Every group with its members and the connections it may use, plus the identities and connections that can be added. */
export async function getAccessOverview(db: Db) {
  const [groupRows, members, grantRows, allConnections, allIdentities] = await Promise.all([
    db.select({ id: groups.id, name: groups.name, createdAt: groups.createdAt }).from(groups).orderBy(asc(groups.name)),
    db
      .select({ groupId: memberships.groupId, name: identities.name, kind: identities.kind, disabled: identities.disabledAt })
      .from(memberships)
      .innerJoin(identities, eq(identities.id, memberships.identityId))
      .orderBy(asc(identities.name)),
    db.select({ groupId: grants.groupId, connectionId: grants.connectionId }).from(grants),
    db.select({ id: connections.id, name: connections.name, type: connections.type }).from(connections).orderBy(asc(connections.name)),
    db.select({ name: identities.name, kind: identities.kind, source: identities.source }).from(identities).orderBy(asc(identities.kind), asc(identities.name)),
  ]);
  return {
    groups: groupRows.map((g) => ({
      ...g,
      members: members.filter((m) => m.groupId === g.id).map(({ name, kind, disabled }) => ({ name, kind, disabled: disabled !== null })),
      connectionIds: grantRows.filter((r) => r.groupId === g.id).map((r) => r.connectionId),
    })),
    connections: allConnections,
    identities: allIdentities,
  };
}
