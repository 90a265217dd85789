import "server-only";
import { eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { connections, grants, groups, identities, memberships } from "../../drizzle/schema/index";
import { publish } from "../../core/bus/event-bus";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";
import { findGroup } from "./find-group";

/** Deletes a group once its name is typed back; its memberships and grants go with it, identities and connections stay. */
export async function deleteGroup(db: Db, user: ConsoleUserContext, id: string, confirmName: string) {
  const group = await findGroup(db, id);
  if (confirmName !== group.name) throw new AppError("INVALID_INPUT", "type the group's name to confirm", { confirmName: `type ${group.name} to confirm` });
  // Recorded so the audit log says what access the deletion took away.
  const [members, granted] = await Promise.all([
    db.select({ name: identities.name }).from(memberships).innerJoin(identities, eq(identities.id, memberships.identityId)).where(eq(memberships.groupId, id)),
    db.select({ name: connections.name }).from(grants).innerJoin(connections, eq(connections.id, grants.connectionId)).where(eq(grants.groupId, id)),
  ]);
  await db.delete(groups).where(eq(groups.id, id));
  await publish(db, "grants.changed", { groupId: id, reason: "group.deleted" });
  await recordConsoleEvent(db, {
    action: "console.group.delete",
    outcome: "ok",
    actor: user.email,
    target: group.name,
    before: { ...group, members: members.map((m) => m.name), connections: granted.map((c) => c.name) },
  });
  return { name: group.name };
}
