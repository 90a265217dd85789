import "server-only";
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { consoleUsers, identities, type ConsoleRole } from "../../drizzle/schema/index";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";
import { lastAdminMessage, removesAdmin } from "./admin-guard";
import { userView } from "./user-view";

type Change = { id: string; role?: ConsoleRole; disabled?: boolean; groups?: string[]; identityName?: string | null };

/** Changes a role, groups or linked identity, or disables/enables an account; never leaves the console without an active admin. */
export async function updateConsoleUser(db: Db, actor: ConsoleUserContext, input: Change) {
  let identityId: string | null | undefined;
  if (input.identityName !== undefined) {
    const [identity] = input.identityName ? await db.select({ id: identities.id }).from(identities).where(eq(identities.name, input.identityName)) : [];
    if (input.identityName && !identity) throw new AppError("NOT_FOUND", `no identity named "${input.identityName}"`);
    identityId = identity?.id ?? null;
  }
  const { before, after } = await db.transaction(async (tx) => {
    // Locking the active admins' rows makes two simultaneous demotions queue, so the count below stays true.
    const admins = await tx
      .select({ id: consoleUsers.id })
      .from(consoleUsers)
      .where(and(eq(consoleUsers.role, "admin"), isNull(consoleUsers.disabledAt)))
      .for("update");
    const [before] = await tx.select(userView).from(consoleUsers).where(eq(consoleUsers.id, input.id));
    if (!before) throw new AppError("NOT_FOUND", "no such console account");
    if (removesAdmin(before, input) && admins.every((a) => a.id === input.id)) throw new AppError("CONFLICT", lastAdminMessage(before.id === actor.id));
    const [after] = await tx
      .update(consoleUsers)
      .set({
        ...(identityId !== undefined ? { identityId } : {}),
        ...(input.role ? { role: input.role } : {}),
        ...(input.groups ? { groups: input.groups } : {}),
        ...(input.disabled === undefined ? {} : { disabledAt: input.disabled ? sql`now()` : null }),
      })
      .where(eq(consoleUsers.id, input.id))
      .returning(userView);
    return { before, after };
  });
  await recordConsoleEvent(db, { action: "console.user.update", outcome: "ok", actor: actor.email, target: before.email, message: describeChange(before.email, input), before, after });
  return after;
}

function describeChange(email: string, c: Change): string {
  const parts = [
    c.role ? `role ${c.role}` : "",
    c.disabled === true ? "disabled" : c.disabled === false ? "enabled" : "",
    c.groups ? `groups ${c.groups.join(", ") || "none"}` : "",
    c.identityName !== undefined ? `linked to ${c.identityName ?? "no identity"}` : "",
  ].filter(Boolean);
  return `${email}: ${parts.join("; ") || "no change"}`;
}
