import "server-only";
import { and, asc, desc, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { groups, identities, keys, memberships } from "../../drizzle/schema/index";
import { issueKey, revokeKeys } from "../../gateway/admin/manage-keys";
import { publish } from "../../gateway/bus/event-bus";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";

const groupsOf = sql<string[]>`coalesce((select array_agg(g.name order by g.name) from ${memberships} m join ${groups} g on g.id = m.group_id where m.identity_id = "identities"."id"), '{}')`;

/** Agents and people with their groups, live keys and last use. */
export async function listIdentities(db: Db) {
  return db
    .select({
      id: identities.id, name: identities.name, kind: identities.kind, source: identities.source, createdAt: identities.createdAt, disabledAt: identities.disabledAt,
      groups: groupsOf,
      liveKeys: sql<number>`(select count(*)::int from ${keys} k where k.identity_id = "identities"."id" and k.revoked_at is null and (k.expires_at is null or k.expires_at > now()))`,
      lastUsedAt: sql<Date | null>`(select max(k.last_used_at) from ${keys} k where k.identity_id = "identities"."id")`,
    })
    .from(identities)
    .orderBy(asc(identities.name));
}

export async function getIdentity(db: Db, id: string) {
  const [identity] = await db.select({ id: identities.id, name: identities.name, kind: identities.kind, source: identities.source, createdAt: identities.createdAt, groups: groupsOf }).from(identities).where(eq(identities.id, id));
  if (!identity) throw new AppError("NOT_FOUND", "no such identity");
  const keyRows = await db
    .select({ id: keys.id, prefix: keys.prefix, createdAt: keys.createdAt, expiresAt: keys.expiresAt, revokedAt: keys.revokedAt, lastUsedAt: keys.lastUsedAt })
    .from(keys)
    .where(eq(keys.identityId, id))
    .orderBy(desc(keys.createdAt));
  return { ...identity, keys: keyRows, now: new Date() };
}

/** Issues a key (creating the agent if new); the key is returned once and never stored or logged in clear. */
export async function issueKeyFor(db: Db, user: ConsoleUserContext, input: { identity: string; groups: string[]; ttlSeconds?: number }) {
  let r;
  try {
    r = await issueKey(db, { identity: input.identity, groups: input.groups, ttlMs: input.ttlSeconds ? input.ttlSeconds * 1000 : undefined });
  } catch (err) {
    throw new AppError("INVALID_INPUT", (err as Error).message, { identity: (err as Error).message });
  }
  await recordConsoleEvent(db, {
    action: "console.key.issue", outcome: "ok", actor: user.email, target: input.identity,
    message: `key ${r.key.slice(0, 12)}… issued for ${input.identity}${r.expiresAt ? `, valid until ${r.expiresAt.toISOString()}` : ", no expiry"}${input.groups.length ? `; groups ${input.groups.join(", ")}` : ""}`,
  });
  return { key: r.key, identityId: r.identityId, expiresAt: r.expiresAt };
}

/** Revokes one key; the gateways end the sessions opened with it. */
export async function revokeKey(db: Db, user: ConsoleUserContext, keyId: string) {
  const [k] = await db.update(keys).set({ revokedAt: sql`now()` }).where(and(eq(keys.id, keyId), isNull(keys.revokedAt))).returning({ identityId: keys.identityId, prefix: keys.prefix });
  if (!k) throw new AppError("CONFLICT", "that key is already revoked (or does not exist)");
  await publish(db, "keys.revoked", { keyIds: [keyId] });
  await recordConsoleEvent(db, { action: "console.key.revoke", outcome: "ok", actor: user.email, target: k.prefix, message: `key ${k.prefix}… revoked` });
}

export async function revokeAllKeys(db: Db, user: ConsoleUserContext, identityName: string) {
  const r = await revokeKeys(db, identityName).catch((err: Error) => {
    throw new AppError("NOT_FOUND", err.message);
  });
  await recordConsoleEvent(db, { action: "console.key.revoke_all", outcome: "ok", actor: user.email, target: identityName, message: `${r.revoked} key(s) of ${identityName} revoked` });
  return r;
}
