import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { scimTokens } from "../../drizzle/schema/index";

const PREFIX = "ghscim_";
const hash = (token: string) => createHash("sha256").update(token).digest("hex");

/** A new SCIM bearer token (32 random bytes), shown once and stored as a SHA-256 like Gatehouse keys. */
export async function issueScimToken(db: Db, name: string, createdBy?: string): Promise<{ token: string; id: string }> {
  if (!/^[^\s]{1,64}$/.test(name)) throw new Error("a SCIM token name is 1-64 characters without spaces");
  const token = PREFIX + randomBytes(32).toString("base64url");
  const [existing] = await db.select({ id: scimTokens.id, revokedAt: scimTokens.revokedAt }).from(scimTokens).where(eq(scimTokens.name, name));
  if (existing && !existing.revokedAt) throw new Error(`a SCIM token named "${name}" exists; revoke it first`);
  if (existing) await db.delete(scimTokens).where(eq(scimTokens.id, existing.id));
  const [row] = await db
    .insert(scimTokens)
    .values({ name, prefix: token.slice(0, PREFIX.length + 4), hash: hash(token), createdBy: createdBy ?? null })
    .returning({ id: scimTokens.id });
  return { token, id: row.id };
}

export async function revokeScimToken(db: Db, name: string): Promise<boolean> {
  const rows = await db
    .update(scimTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(scimTokens.name, name), isNull(scimTokens.revokedAt)))
    .returning({ id: scimTokens.id });
  return rows.length > 0;
}

export async function listScimTokens(db: Db) {
  return db
    .select({ name: scimTokens.name, prefix: scimTokens.prefix, createdAt: scimTokens.createdAt, createdBy: scimTokens.createdBy, revokedAt: scimTokens.revokedAt, lastUsedAt: scimTokens.lastUsedAt })
    .from(scimTokens)
    .orderBy(asc(scimTokens.createdAt));
}

/** The token's name when `authorization` carries a live SCIM token, else null. */
export async function verifyScimBearer(db: Db, authorization: string | null): Promise<{ id: string; name: string } | null> {
  const m = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? "");
  if (!m || !m[1].startsWith(PREFIX)) return null;
  const h = hash(m[1]);
  const [row] = await db.select({ id: scimTokens.id, name: scimTokens.name, hash: scimTokens.hash, revokedAt: scimTokens.revokedAt }).from(scimTokens).where(eq(scimTokens.hash, h));
  if (!row || row.revokedAt || !timingSafeEqual(Buffer.from(row.hash, "hex"), Buffer.from(h, "hex"))) return null;
  // At most one write a minute per token: an IdP syncing thousands of users does not rewrite the row each time.
  await db.execute(sql`update scim_tokens set last_used_at = now() where id = ${row.id} and (last_used_at is null or last_used_at < now() - interval '1 minute')`);
  return { id: row.id, name: row.name };
}
