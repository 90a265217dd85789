import "server-only";
import { and, eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { connections, sessions } from "../../drizzle/schema/index";
import { publish } from "../../core/bus/event-bus";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";
import { getConnectionRow } from "./get-connection";

/**
 * Deletes a connection (its grants and guardrail policy go with it) once its name is typed back,
 * and ends its live sessions on every gateway instance.
 */
export async function deleteConnection(db: Db, user: ConsoleUserContext, id: string, confirmName: string) {
  const { secretEnc, ...before } = await getConnectionRow(db, id);
  if (confirmName !== before.name) throw new AppError("INVALID_INPUT", "type the connection's name to confirm", { confirmName: `type ${before.name} to confirm` });
  const live = await db
    .select({ id: sessions.id })
    .from(sessions)
    .where(and(eq(sessions.connectionId, id), eq(sessions.status, "active")));
  await db.delete(connections).where(eq(connections.id, id));
  for (const s of live) await publish(db, "sessions.kill", { sessionId: s.id, reason: `the connection ${before.name} was deleted` });
  await publish(db, "grants.changed", { connectionId: id, reason: "connection.deleted" });
  await recordConsoleEvent(db, {
    action: "console.connection.delete",
    outcome: "ok",
    actor: user.email,
    connectionName: before.name,
    target: id,
    before: { ...before, sealedFields: secretEnc !== null ? "stored" : "none" },
    message: `${live.length} live session(s) ended`,
  });
  return { name: before.name, endedSessions: live.length };
}
