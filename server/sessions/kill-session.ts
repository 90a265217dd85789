import "server-only";
import { eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { sessions } from "../../drizzle/schema/index";
import { publish } from "../../core/bus/event-bus";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";

/**
 * Ends a live session on whichever gateway instance holds it: the console only publishes
 * `sessions.kill` (as `gatehouse sessions kill` does); the instance that owns the socket closes it.
 */
export async function killSession(db: Db, input: { id: string; actor: string }): Promise<void> {
  const [session] = await db.select().from(sessions).where(eq(sessions.id, input.id));
  if (!session) throw new AppError("NOT_FOUND", "no such session");
  if (session.status !== "active") throw new AppError("CONFLICT", `this session is already ${session.status}`);
  await publish(db, "sessions.kill", { sessionId: input.id, reason: `${input.actor} ended this session from the console` });
  await recordConsoleEvent(db, {
    action: "console.session.kill",
    outcome: "ok",
    actor: input.actor,
    connectionName: session.connectionName,
    target: input.id,
    message: `ended the session of ${session.identityName}`,
    before: { status: session.status, identity: session.identityName, gatewayInstance: session.gatewayInstance },
  });
}
