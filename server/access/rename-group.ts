import "server-only";
import { eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { groups } from "../../drizzle/schema/index";
import { publish } from "../../core/bus/event-bus";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";
import { findGroup } from "./find-group";

/**
 * Renames a group; members and grants follow (they point at its id). Grants are matched by group
 * name for OIDC tokens, so a token that carries the old name loses this group's access.
 */
export async function renameGroup(db: Db, user: ConsoleUserContext, id: string, name: string) {
  const before = await findGroup(db, id);
  if (before.name === name) return before;
  let after;
  try {
    [after] = await db.update(groups).set({ name }).where(eq(groups.id, id)).returning();
  } catch (err) {
    if ((err as { cause?: { code?: string } }).cause?.code === "23505") throw new AppError("CONFLICT", `a group named "${name}" already exists`, { name: "a group with this name exists" });
    throw err;
  }
  if (!after) throw new AppError("NOT_FOUND", "no such group (it may have been deleted)");
  await publish(db, "grants.changed", { groupId: id, reason: "group.renamed" });
  await recordConsoleEvent(db, { action: "console.group.rename", outcome: "ok", actor: user.email, target: name, before, after, message: `renamed ${before.name} to ${name}` });
  return after;
}
