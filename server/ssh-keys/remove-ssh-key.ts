import "server-only";
import type { Db } from "../../drizzle/client";
import { listSshPublicKeys, removeSshPublicKey } from "../../core/identity/ssh-public-keys";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";
import { requireKeyOwner } from "./key-owner";

export type RemoveSshKeyInput = { identityId?: string; fingerprint: string };

/**
 * Removes one of an identity's keys: the next login with it is refused. The key must be that
 * identity's, so naming someone else's fingerprint under one's own identity removes nothing.
 */
export async function removeSshKey(db: Db, user: ConsoleUserContext, input: RemoveSshKeyInput) {
  const owner = await requireKeyOwner(db, user, input.identityId, "console.sshkey.remove");
  const key = (await listSshPublicKeys(db, owner.name)).find((k) => k.fingerprint === input.fingerprint);
  const notFound = new AppError("NOT_FOUND", `${owner.name} has no SSH key ${input.fingerprint} (already removed?).`);
  if (!key) throw notFound;
  if (!(await removeSshPublicKey(db, input.fingerprint, owner.id))) throw notFound;
  await recordConsoleEvent(db, {
    action: "console.sshkey.remove",
    outcome: "ok",
    actor: user.email,
    actorIdentityId: user.identityId,
    target: owner.name,
    message: `SSH key ${key.fingerprint} (${key.name}) of ${owner.name} removed`,
    before: { identity: owner.name, name: key.name, fingerprint: key.fingerprint, createdAt: key.createdAt, lastUsedAt: key.lastUsedAt },
  });
  return { fingerprint: key.fingerprint, name: key.name };
}
