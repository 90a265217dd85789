import "server-only";
import type { Db } from "../../drizzle/client";
import { revokeKeys } from "../../core/identity/manage-keys";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";

/** Revokes every live key of an identity; the gateways end all its sessions (same path as `keys revoke`). */
export async function revokeAllKeys(db: Db, user: ConsoleUserContext, identityName: string) {
  const r = await revokeKeys(db, identityName).catch((err: Error) => {
    throw new AppError("NOT_FOUND", err.message);
  });
  await recordConsoleEvent(db, {
    action: "console.key.revoke_all",
    outcome: "ok",
    actor: user.email,
    target: identityName,
    message: `${r.revoked} key(s) of ${identityName} revoked`,
    after: { revoked: r.revoked },
  });
  return r;
}
