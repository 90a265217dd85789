import "server-only";
import { asc } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { groups, identities } from "../../drizzle/schema/index";
import { groupsOf, lastUsedOf, liveKeysOf } from "./identity-columns";

/** Agents and people with their groups, live keys and last use; plus every group name, for pickers. */
export async function listIdentities(db: Db) {
  const [rows, allGroups] = await Promise.all([
    db
      .select({
        id: identities.id,
        name: identities.name,
        kind: identities.kind,
        source: identities.source,
        createdAt: identities.createdAt,
        disabledAt: identities.disabledAt,
        groups: groupsOf,
        liveKeys: liveKeysOf,
        lastUsedAt: lastUsedOf,
      })
      .from(identities)
      .orderBy(asc(identities.name)),
    db.select({ name: groups.name }).from(groups).orderBy(asc(groups.name)),
  ]);
  return { identities: rows, groups: allGroups.map((g) => g.name) };
}
