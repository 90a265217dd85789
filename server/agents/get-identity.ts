import "server-only";
import { asc, desc, eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { groups, identities, keys } from "../../drizzle/schema/index";
import { parseKeyHygiene } from "../../core/identity/key-hygiene";
import { AppError } from "../errors/app-error";
import { groupsOf, reachableConnectionsOf } from "./identity-columns";

/** One identity, its keys (never their hashes), the connections it can reach, and every group name. */
export async function getIdentity(db: Db, id: string) {
  const [identity] = await db
    .select({
      id: identities.id,
      name: identities.name,
      kind: identities.kind,
      source: identities.source,
      createdAt: identities.createdAt,
      disabledAt: identities.disabledAt,
      groups: groupsOf,
      connections: reachableConnectionsOf,
    })
    .from(identities)
    .where(eq(identities.id, id));
  if (!identity) throw new AppError("NOT_FOUND", "no such identity");
  const [keyRows, allGroups] = await Promise.all([
    db
      .select({
        id: keys.id,
        prefix: keys.prefix,
        createdAt: keys.createdAt,
        expiresAt: keys.expiresAt,
        revokedAt: keys.revokedAt,
        lastUsedAt: keys.lastUsedAt,
        lastUsedAddr: keys.lastUsedAddr,
        lastUsedProtocol: keys.lastUsedProtocol,
      })
      .from(keys)
      .where(eq(keys.identityId, id))
      .orderBy(desc(keys.createdAt)),
    db.select({ name: groups.name }).from(groups).orderBy(asc(groups.name)),
  ]);
  // The server's clock decides what "expired" means, not the browser's.
  // Unused keys are flagged after GATEHOUSE_KEY_UNUSED_DAYS and, with GATEHOUSE_KEY_UNUSED_EXPIRE, shown expired as the gateway refuses them.
  return { ...identity, keys: keyRows, allGroups: allGroups.map((g) => g.name), now: new Date(), hygiene: parseKeyHygiene(process.env) };
}
