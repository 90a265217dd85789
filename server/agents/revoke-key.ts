import "server-only";
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { identities, keys } from "../../drizzle/schema/index";
import { publish } from "../../core/bus/event-bus";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";

/**
 * Revokes one key. The event carries only `keyIds` (no identityId), which tells every gateway
 * instance to end just the sessions opened with this key, not the identity's other sessions.
 */
export async function revokeKey(db: Db, user: ConsoleUserContext, keyId: string) {
  const [k] = await db
    .update(keys)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(keys.id, keyId), isNull(keys.revokedAt)))
    .returning({ id: keys.id, identityId: keys.identityId, prefix: keys.prefix, revokedAt: keys.revokedAt });
  if (!k) throw new AppError("CONFLICT", "that key is already revoked (or does not exist)");
  await publish(db, "keys.revoked", { keyIds: [k.id] });
  const [owner] = await db.select({ name: identities.name }).from(identities).where(eq(identities.id, k.identityId));
  await recordConsoleEvent(db, {
    action: "console.key.revoke",
    outcome: "ok",
    actor: user.email,
    target: owner?.name ?? k.identityId,
    message: `key ${k.prefix}… of ${owner?.name ?? "?"} revoked`,
    after: { keyId: k.id, prefix: k.prefix, revokedAt: k.revokedAt },
  });
  return { prefix: k.prefix };
}
