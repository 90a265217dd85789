import "server-only";
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { connections } from "../../drizzle/schema/index";
import { publish } from "../../core/bus/event-bus";
import { connectionTypes, joinTypeNames } from "../../core/connections/registry";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";
import { consoleConnectionSettings, consoleConnectionType } from "./connection-type-of";
import { getConnectionRow } from "./get-connection";

/**
 * Removes the pinned host key of a connection whose type pins one (SSH), so the next connection
 * (through the gateway, not the console's test) pins whatever key the target then offers. `expected` is the fingerprint the
 * admin saw and confirmed: a pin that changed meanwhile is not forgotten blindly.
 */
export async function forgetHostKey(db: Db, user: ConsoleUserContext, id: string, expected: string) {
  const row = await getConnectionRow(db, id);
  const type = consoleConnectionType(row.type, row.name);
  if (!type.hostKeyPin) {
    const pinning = connectionTypes.filter((t) => t.hostKeyPin).map((t) => t.label);
    throw new AppError("INVALID_INPUT", `${row.name} is a ${row.type} connection; only ${joinTypeNames(pinning)} connections pin a host key`);
  }
  const pinKeys = type.hostKeyPin.settingsKeys;
  const settings = consoleConnectionSettings(type, row);
  const pinned = type.hostKeyPin.read(settings).hostKey;
  if (typeof pinned !== "string") throw new AppError("CONFLICT", `${row.name} has no pinned host key (it may have been forgotten already)`);
  if (pinned !== expected) throw new AppError("CONFLICT", `the pinned key of ${row.name} changed to ${pinned} meanwhile; reload the page and check it again`);
  const drop = sql.join(
    pinKeys.map((k) => sql`${k}::text`),
    sql` - `,
  );
  // One statement, and only while the pin is still the one confirmed.
  const [updated] = await db
    .update(connections)
    .set({ settings: sql`${connections.settings} - ${drop}`, updatedAt: sql`now()` })
    .where(and(eq(connections.id, id), sql`${connections.settings}->>${pinKeys[0]}::text = ${expected}`))
    .returning({ settings: connections.settings });
  if (!updated) throw new AppError("CONFLICT", `the pinned key of ${row.name} changed meanwhile; reload the page and check it again`);
  const pinOf = (s: Record<string, unknown>) => Object.fromEntries(pinKeys.map((k) => [k, s[k] ?? null]));
  await recordConsoleEvent(db, {
    action: "console.connection.hostkey.forget",
    outcome: "ok",
    actor: user.email,
    connectionName: row.name,
    target: id,
    before: pinOf(row.settings),
    after: pinOf(updated.settings),
    message: `forgot the pinned host key ${pinned} of ${type.address(settings)}; the next connection pins the key the target offers`,
  });
  await publish(db, "grants.changed", { connectionId: id, reason: "connection.hostkey.forgotten" });
  return { name: row.name, forgotten: pinned };
}
