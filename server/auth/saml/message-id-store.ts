import { and, eq, gt, lt, sql } from "drizzle-orm";
import type { CacheItem, CacheProvider } from "@node-saml/node-saml";
import type { Db } from "../../../drizzle/client";
import { samlMessageIds } from "../../../drizzle/schema/index";

type Kind = (typeof samlMessageIds.$inferInsert)["kind"];

/**
 * Records `id` until `expiresAt`; false when it is already recorded and not yet expired. One
 * statement, so two console instances given the same assertion at the same moment accept it once.
 */
export async function rememberOnce(db: Db, kind: Kind, id: string, expiresAt: Date): Promise<boolean> {
  const rows = await db
    .insert(samlMessageIds)
    .values({ kind, id, expiresAt })
    .onConflictDoUpdate({
      target: [samlMessageIds.kind, samlMessageIds.id],
      set: { expiresAt, createdAt: sql`now()` },
      setWhere: lt(samlMessageIds.expiresAt, sql`now()`),
    })
    .returning({ id: samlMessageIds.id });
  return rows.length === 1;
}

export async function isRemembered(db: Db, kind: Kind, id: string): Promise<boolean> {
  const [row] = await db
    .select({ id: samlMessageIds.id })
    .from(samlMessageIds)
    .where(and(eq(samlMessageIds.kind, kind), eq(samlMessageIds.id, id), gt(samlMessageIds.expiresAt, sql`now()`)));
  return Boolean(row);
}

/** Drops what has expired (called as requests are made, so the table stays small without a timer). */
export async function sweepExpired(db: Db): Promise<void> {
  await db.delete(samlMessageIds).where(lt(samlMessageIds.expiresAt, sql`now() - interval '1 minute'`));
}

/**
 * node-saml's cache of AuthnRequest IDs (InResponseTo), in the shared database rather than its
 * in-memory default, so a response may arrive at any console instance, or after a restart.
 */
export function databaseRequestCache(db: Db, ttlMs: number): CacheProvider {
  return {
    async saveAsync(key: string, value: string): Promise<CacheItem | null> {
      await sweepExpired(db);
      const saved = await rememberOnce(db, "request", key, new Date(Date.now() + ttlMs));
      return saved ? { value, createdAt: Date.now() } : null;
    },
    async getAsync(key: string): Promise<string | null> {
      const [row] = await db
        .select({ createdAt: samlMessageIds.createdAt })
        .from(samlMessageIds)
        .where(and(eq(samlMessageIds.kind, "request"), eq(samlMessageIds.id, key), gt(samlMessageIds.expiresAt, sql`now()`)));
      // node-saml reads the value as the time the request was made.
      return row ? row.createdAt.toISOString() : null;
    },
    async removeAsync(key: string | null): Promise<string | null> {
      if (!key) return null;
      const rows = await db
        .delete(samlMessageIds)
        .where(and(eq(samlMessageIds.kind, "request"), eq(samlMessageIds.id, key)))
        .returning({ id: samlMessageIds.id });
      return rows.length ? key : null;
    },
  };
}
