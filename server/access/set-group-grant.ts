import "server-only";
import { eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { connections } from "../../drizzle/schema/index";
import { grantAccess, revokeAccess } from "../../core/access/grant-access";
import { publish } from "../../core/bus/event-bus";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";
import { findGroup } from "./find-group";

/**
 * Lets a group use a connection, or takes it back, through the CLI's own grant functions. New
 * sessions are checked against grants; sessions already open are not ended by a revoke.
 */
export async function setGroupGrant(db: Db, user: ConsoleUserContext, input: { groupId: string; connectionId: string; granted: boolean }) {
  const group = await findGroup(db, input.groupId);
  const [c] = await db.select({ id: connections.id, name: connections.name }).from(connections).where(eq(connections.id, input.connectionId));
  if (!c) throw new AppError("NOT_FOUND", "no such connection (it may have been deleted)");
  if (input.granted) await grantAccess(db, group.name, c.name);
  else await revokeAccess(db, group.name, c.name);
  await publish(db, "grants.changed", { groupId: group.id, connectionId: c.id, reason: input.granted ? "grant.added" : "grant.removed" });
  await recordConsoleEvent(db, {
    action: `console.grant.${input.granted ? "add" : "remove"}`,
    outcome: "ok",
    actor: user.email,
    connectionName: c.name,
    target: group.name,
    before: { group: group.name, connection: c.name, granted: !input.granted },
    after: { group: group.name, connection: c.name, granted: input.granted },
    message: `${group.name} ${input.granted ? "may now use" : "may no longer use"} ${c.name}`,
  });
  return { granted: input.granted };
}
