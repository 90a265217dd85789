import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { identities, keys, memberships } from "../../drizzle/schema/index";
import { generateKey } from "./keys";
import { publish } from "../bus/event-bus";
import { ensureGroup } from "../access/grant-access";

/** Parses "90s", "30m", "1h", "7d" into milliseconds. */
export function parseTtl(ttl: string): number {
  const m = /^(\d+)\s*([smhd])$/.exec(ttl.trim());
  if (!m) throw new Error(`invalid --ttl "${ttl}": use a number with s, m, h or d (for example 1h)`);
  return Number(m[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[m[2] as "s" | "m" | "h" | "d"];
}

/** Creates the identity if new, adds it to the groups, and returns one new key (shown once, stored hashed). */
export async function issueKey(db: Db, input: { identity: string; groups: string[]; ttlMs?: number; kind?: "agent" | "person" }) {
  if (!/^[^\s]{1,128}$/.test(input.identity)) throw new Error("an identity name is 1-128 characters without spaces");
  await db
    .insert(identities)
    .values({ name: input.identity, kind: input.kind ?? "agent" })
    .onConflictDoNothing();
  const [identity] = await db.select({ id: identities.id }).from(identities).where(eq(identities.name, input.identity));
  for (const g of input.groups) {
    const group = await ensureGroup(db, g);
    await db.insert(memberships).values({ identityId: identity.id, groupId: group.id }).onConflictDoNothing();
  }
  const k = generateKey();
  const expiresAt = input.ttlMs ? new Date(Date.now() + input.ttlMs) : null;
  const [row] = await db.insert(keys).values({ identityId: identity.id, prefix: k.prefix, hash: k.hash, expiresAt }).returning({ id: keys.id });
  return { key: k.key, keyId: row.id, identityId: identity.id, expiresAt };
}

/** Revokes every live key of the identity and tells every gateway instance to end its sessions. */
export async function revokeKeys(db: Db, identityName: string) {
  const [identity] = await db.select({ id: identities.id }).from(identities).where(eq(identities.name, identityName));
  if (!identity) throw new Error(`no identity named "${identityName}"`);
  const revoked = await db
    .update(keys)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(keys.identityId, identity.id), isNull(keys.revokedAt)))
    .returning({ id: keys.id });
  await publish(db, "keys.revoked", { identityId: identity.id, keyIds: revoked.map((r) => r.id) });
  return { identity: identityName, revoked: revoked.length };
}
