import "server-only";
import type { Db } from "../../drizzle/client";
import { listSshPublicKeys } from "../../core/identity/ssh-public-keys";
import type { ConsoleUserContext } from "../auth/current-user";
import { findKeyOwner, type KeyOwner } from "./key-owner";

export type SshKeyRow = { fingerprint: string; name: string; createdAt: Date; lastUsedAt: Date | null };
export type SshKeysView = { kind: "unlinked" } | { kind: "owner"; owner: KeyOwner; keys: SshKeyRow[] };

/** The registered public keys of an identity the person may manage (none named: their own), newest first. */
export async function listSshKeys(db: Db, user: ConsoleUserContext, input: { identityId?: string } = {}): Promise<SshKeysView> {
  if (!input.identityId && !user.identityId) return { kind: "unlinked" };
  const found = await findKeyOwner(db, user, input.identityId);
  if (!found.ok) throw found.error;
  const keys = await listSshPublicKeys(db, found.owner.name);
  keys.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  return { kind: "owner", owner: found.owner, keys };
}
