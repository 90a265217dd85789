import "server-only";
import { and, eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { identities, memberships } from "../../drizzle/schema/index";
import { publish } from "../../core/bus/event-bus";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";
import { findGroup } from "./find-group";

/**
 * Adds an existing identity (agent or person) to a group, or removes it. The gateway reads
 * memberships when a session starts, so the change applies to new sessions.
 */
export async function setGroupMember(db: Db, user: ConsoleUserContext, input: { groupId: string; identityName: string; member: boolean }) {
  const group = await findGroup(db, input.groupId);
  const [identity] = await db.select({ id: identities.id, name: identities.name, kind: identities.kind }).from(identities).where(eq(identities.name, input.identityName));
  if (!identity) {
    throw new AppError("NOT_FOUND", `no identity named "${input.identityName}": create agents on Agents & keys; people appear after their first sign-in through the gateway`, {
      identityName: "no such identity",
    });
  }
  const changed = input.member
    ? await db.insert(memberships).values({ identityId: identity.id, groupId: group.id }).onConflictDoNothing().returning()
    : await db
        .delete(memberships)
        .where(and(eq(memberships.identityId, identity.id), eq(memberships.groupId, group.id)))
        .returning();
  if (changed.length === 0) return { changed: false };
  await publish(db, "grants.changed", { groupId: group.id, identityId: identity.id, reason: input.member ? "member.added" : "member.removed" });
  await recordConsoleEvent(db, {
    action: `console.group.${input.member ? "add_member" : "remove_member"}`,
    outcome: "ok",
    actor: user.email,
    target: group.name,
    before: { group: group.name, identity: identity.name, member: !input.member },
    after: { group: group.name, identity: identity.name, kind: identity.kind, member: input.member },
    message: `${identity.name} ${input.member ? "added to" : "removed from"} ${group.name}`,
  });
  return { changed: true };
}
