import "server-only";
import { asc } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { consoleUsers, identities } from "../../drizzle/schema/index";
import { userView } from "./user-view";

/** Console accounts with the gateway identity each is linked to, and the identities one could link. */
export async function listConsoleUsers(db: Db) {
  const [users, ids] = await Promise.all([
    db.select(userView).from(consoleUsers).orderBy(asc(consoleUsers.email)),
    db.select({ id: identities.id, name: identities.name }).from(identities).orderBy(asc(identities.name)),
  ]);
  const nameOf = new Map(ids.map((i) => [i.id, i.name]));
  return { users: users.map((u) => ({ ...u, identityName: u.identityId ? (nameOf.get(u.identityId) ?? null) : null })), identities: ids.map((i) => i.name) };
}
