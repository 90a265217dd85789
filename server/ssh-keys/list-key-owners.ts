import "server-only";
import { asc, count, eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { identities, sshPublicKeys } from "../../drizzle/schema/index";

/** Every identity, people and agents, with how many SSH keys it has: the admin's picker. */
export async function listKeyOwners(db: Db) {
  return db
    .select({ id: identities.id, name: identities.name, kind: identities.kind, disabled: identities.disabledAt, keys: count(sshPublicKeys.id) })
    .from(identities)
    .leftJoin(sshPublicKeys, eq(sshPublicKeys.identityId, identities.id))
    .groupBy(identities.id)
    .orderBy(asc(identities.name))
    .then((rows) => rows.map((r) => ({ ...r, disabled: r.disabled !== null })));
}
