import "server-only";
import { eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { identities } from "../../drizzle/schema/index";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";

/** The gateway identity whose SSH keys are being read or changed. */
export type KeyOwner = { id: string; name: string; kind: "agent" | "person"; disabled: boolean; isSelf: boolean };

export const UNLINKED_MESSAGE =
  "Your console account is not linked to a gateway identity, so there is nobody to register SSH keys for. Ask an admin to link one to your account on the Console users page.";
export const NOT_YOURS_MESSAGE = "You may only manage the SSH keys of your own gateway identity; an admin manages everyone else's.";

type Lookup = { ok: true; owner: KeyOwner } | { ok: false; error: AppError };

/**
 * Whose keys `identityId` names (none: the person's own linked identity), and whether the person may
 * touch them: their own always, anyone's only as an admin. The role is checked before the identity
 * is looked up, so a non-admin cannot tell which ids exist.
 */
export async function findKeyOwner(db: Db, user: ConsoleUserContext, identityId?: string): Promise<Lookup> {
  const target = identityId ?? user.identityId;
  if (!target) return { ok: false, error: new AppError("FORBIDDEN", UNLINKED_MESSAGE) };
  const isSelf = target === user.identityId;
  if (!isSelf && user.role !== "admin") return { ok: false, error: new AppError("FORBIDDEN", NOT_YOURS_MESSAGE) };
  const [row] = await db.select({ id: identities.id, name: identities.name, kind: identities.kind, disabledAt: identities.disabledAt }).from(identities).where(eq(identities.id, target));
  if (!row) return { ok: false, error: new AppError("NOT_FOUND", isSelf ? UNLINKED_MESSAGE : "There is no gateway identity with that id.") };
  return { ok: true, owner: { id: row.id, name: row.name, kind: row.kind, disabled: row.disabledAt !== null, isSelf } };
}

/** For a change: the owner, or an audited refusal (`action` is the change's own audit action). */
export async function requireKeyOwner(db: Db, user: ConsoleUserContext, identityId: string | undefined, action: string): Promise<KeyOwner> {
  const found = await findKeyOwner(db, user, identityId);
  if (found.ok) return found.owner;
  await recordConsoleEvent(db, { action, outcome: "denied", actor: user.email, actorIdentityId: user.identityId, target: identityId ?? user.identityId ?? undefined, message: found.error.message });
  throw found.error;
}
