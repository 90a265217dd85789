import "server-only";
import type { Db } from "../../drizzle/client";
import { addSshPublicKey, parsePublicKey } from "../../core/identity/ssh-public-keys";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError, invalidInput } from "../errors/app-error";
import { requireKeyOwner } from "./key-owner";
import { looksLikePrivateKey, PRIVATE_KEY_WARNING } from "./private-key";

export type AddSshKeyInput = { identityId?: string; publicKey: string; name?: string };

/** The key's type and fingerprint, or a field error a person can act on; a private key is refused without a trace. */
async function checkPublicKey(text: string) {
  if (looksLikePrivateKey(text)) throw invalidInput(PRIVATE_KEY_WARNING, "publicKey");
  const lines = text
    .trim()
    .split(/\r?\n/)
    .filter((l) => l.trim());
  if (lines.length > 1) throw invalidInput(`Paste one key: this has ${lines.length} lines. Each key is one line, "ssh-ed25519 AAAA… you@host".`, "publicKey");
  try {
    return await parsePublicKey(text);
  } catch (err) {
    const message = (err as Error).message;
    throw invalidInput(/private key/i.test(message) ? PRIVATE_KEY_WARNING : message.charAt(0).toUpperCase() + message.slice(1), "publicKey");
  }
}

/**
 * Registers a public key for an identity the person may manage. The audit event names the key by its
 * fingerprint, type and name: nothing of a refused paste is kept, not even in the log.
 */
export async function addSshKey(db: Db, user: ConsoleUserContext, input: AddSshKeyInput) {
  const owner = await requireKeyOwner(db, user, input.identityId, "console.sshkey.add");
  const key = await checkPublicKey(input.publicKey);
  const added = await addSshPublicKey(db, { identity: owner.name, publicKey: input.publicKey, name: input.name }).catch((err: Error) => {
    if (/already registered/.test(err.message))
      throw new AppError("CONFLICT", `The key ${key.fingerprint} is already registered (to this or another identity); a key can belong to one identity only.`, {
        publicKey: "this key is already registered",
      });
    throw err;
  });
  await recordConsoleEvent(db, {
    action: "console.sshkey.add",
    outcome: "ok",
    actor: user.email,
    actorIdentityId: user.identityId,
    target: owner.name,
    message: `SSH key ${added.fingerprint} (${added.name}) registered for ${owner.name}`,
    after: { identity: owner.name, name: added.name, type: key.type, fingerprint: added.fingerprint },
  });
  return { fingerprint: added.fingerprint, name: added.name, type: key.type, identityName: owner.name };
}
