import "server-only";
import { and, asc, eq, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { connections, grants, groups, sessions } from "../../drizzle/schema/index";
import type { SecretBox } from "../../gateway/crypto/secret-box";
import { publish } from "../../gateway/bus/event-bus";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";
import type { ConnectionForm } from "./connection-forms";

/** Connections with who may use them and how many sessions are live; never a secret. */
export async function listConnections(db: Db) {
  return db
    .select({
      id: connections.id, name: connections.name, type: connections.type, settings: connections.settings, createdAt: connections.createdAt, updatedAt: connections.updatedAt,
      groups: sql<string[]>`coalesce((select array_agg(g.name order by g.name) from ${grants} gr join ${groups} g on g.id = gr.group_id where gr.connection_id = "connections"."id"), '{}')`,
      activeSessions: sql<number>`(select count(*)::int from ${sessions} s where s.connection_id = "connections"."id" and s.status = 'active')`,
    })
    .from(connections)
    .orderBy(asc(connections.name));
}

/** What the edit form needs: the settings, and only whether a password is stored. */
export async function getConnectionForEdit(db: Db, id: string) {
  const [row] = await db.select().from(connections).where(eq(connections.id, id));
  if (!row) throw new AppError("NOT_FOUND", "no such connection (it may have been deleted)");
  const { secretEnc, ...rest } = row;
  return { ...rest, hasPassword: Boolean(secretEnc) };
}

/** Creates (no id) or updates a connection; the password is sealed and only replaced when a new one is typed. */
export async function saveConnection(db: Db, box: SecretBox, user: ConsoleUserContext, form: ConnectionForm, id?: string) {
  const settings = { host: form.host, port: form.port, database: form.database, user: form.user, sslmode: form.sslmode };
  const before = id ? await getConnectionForEdit(db, id) : undefined;
  const secretEnc = form.clearPassword ? null : form.password ? box.seal(JSON.stringify({ password: form.password })) : undefined;
  try {
    const [row] = id
      ? await db.update(connections).set({ name: form.name, settings, ...(secretEnc !== undefined ? { secretEnc } : {}), updatedAt: sql`now()` }).where(eq(connections.id, id)).returning()
      : await db.insert(connections).values({ name: form.name, type: form.type, settings, secretEnc: secretEnc ?? null }).returning();
    if (!row) throw new AppError("NOT_FOUND", "no such connection (it may have been deleted)");
    const after = { ...settings, name: row.name, type: row.type, password: secretEnc === null ? "" : secretEnc !== undefined ? "changed" : before?.hasPassword ? "kept" : "" };
    await recordConsoleEvent(db, { action: `console.connection.${id ? "update" : "create"}`, outcome: "ok", actor: user.email, connectionName: row.name, target: row.id, before, after });
    if (id) await publish(db, "grants.changed", { connectionId: row.id });
    return { id: row.id, name: row.name };
  } catch (err) {
    if ((err as { cause?: { code?: string } }).cause?.code === "23505") throw new AppError("CONFLICT", `a connection named "${form.name}" already exists`, { name: "that name is taken" });
    throw err;
  }
}

/** Deletes a connection (its grants and policy go with it) and ends its live sessions on every gateway. */
export async function deleteConnection(db: Db, user: ConsoleUserContext, id: string, confirmName: string) {
  const before = await getConnectionForEdit(db, id);
  if (confirmName !== before.name) throw new AppError("INVALID_INPUT", "type the connection's name to confirm", { confirmName: `type ${before.name} to confirm` });
  const live = await db.select({ id: sessions.id }).from(sessions).where(and(eq(sessions.connectionId, id), eq(sessions.status, "active")));
  await db.delete(connections).where(eq(connections.id, id));
  for (const s of live) await publish(db, "sessions.kill", { sessionId: s.id, reason: `the connection ${before.name} was deleted` });
  await recordConsoleEvent(db, { action: "console.connection.delete", outcome: "ok", actor: user.email, connectionName: before.name, target: id, before, message: `${live.length} live session(s) ended` });
  return { endedSessions: live.length };
}
