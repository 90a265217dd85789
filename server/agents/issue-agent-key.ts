import "server-only";
import { eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { identities, keys } from "../../drizzle/schema/index";
import { issueKey } from "../../core/identity/manage-keys";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";

/**
 * Issues a key for an identity (creating the agent if new, as the CLI does). The key is returned
 * once, to be shown once; only its prefix reaches the audit log.
 */
export async function issueAgentKey(db: Db, user: ConsoleUserContext, input: { identity: string; groups: string[]; ttlSeconds?: number }) {
  const [existing] = await db.select({ disabledAt: identities.disabledAt }).from(identities).where(eq(identities.name, input.identity));
  if (existing?.disabledAt) throw new AppError("CONFLICT", `${input.identity} is disabled: a key for it would be refused`);
  let issued;
  try {
    issued = await issueKey(db, { identity: input.identity, groups: input.groups, ttlMs: input.ttlSeconds ? input.ttlSeconds * 1000 : undefined });
  } catch (err) {
    throw new AppError("INVALID_INPUT", (err as Error).message, { identity: (err as Error).message });
  }
  const [row] = await db.select({ id: keys.id, prefix: keys.prefix, expiresAt: keys.expiresAt, createdAt: keys.createdAt }).from(keys).where(eq(keys.id, issued.keyId));
  await recordConsoleEvent(db, {
    action: "console.key.issue",
    outcome: "ok",
    actor: user.email,
    target: input.identity,
    message: `key ${row.prefix}… issued for ${input.identity}${row.expiresAt ? `, valid until ${row.expiresAt.toISOString()}` : ", no expiry"}${input.groups.length ? `; groups ${input.groups.join(", ")}` : ""}`,
    after: { identity: input.identity, keyId: row.id, prefix: row.prefix, expiresAt: row.expiresAt, addedToGroups: input.groups },
  });
  return { key: issued.key, keyId: row.id, prefix: row.prefix, identityId: issued.identityId, expiresAt: row.expiresAt };
}
