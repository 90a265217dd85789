import "server-only";
import type { Db } from "../../drizzle/client";
import { publish } from "../../core/bus/event-bus";
import { ConnectionNameTaken, saveConnectionRecord } from "../../core/connections/add-connection";
import { ConnectorError, connectorIdOf } from "../../core/connectors/manage-connectors";
import { mergeSecret } from "../../core/connections/form-fields";
import type { SecretBox } from "../../core/crypto/secret-box";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";
import { consoleConnectionType, planConnectionForm } from "./connection-type-of";
import type { ConnectionForm } from "./connection-forms";
import { editView, getConnectionRow, openSecret } from "./get-connection";

/**
 * Creates (no id) or updates a connection through the CLI's own writer. What is stored comes from
 * the type's plan (core/connections/types/); secret fields are only replaced when a value is typed,
 * and removed only when asked. `connector` names the connector the target is reached through (null:
 * the gateway dials it; undefined: left as stored); it is the row's connector_id, not a setting.
 */
export async function saveConnection(db: Db, box: SecretBox, user: ConsoleUserContext, form: ConnectionForm, id?: string, connector?: string | null) {
  const type = consoleConnectionType(form.type);
  const row = id ? await getConnectionRow(db, id) : undefined;
  const before = row && editView(box, row);
  if (before && before.type !== form.type) throw new AppError("INVALID_INPUT", "a connection's type cannot change; add a new connection instead", { type: "the type cannot change" });
  const { settings, typedSecrets, clearSecrets, keepStoredSettings } = await planConnectionForm(
    type,
    form,
    { settings: before?.settings ?? null, secretKeys: before?.storedSecrets ?? [] },
    user.email,
  );
  let secret: Record<string, string> | undefined = Object.keys(typedSecrets).length ? typedSecrets : undefined;
  if (row) {
    let stored: Record<string, string> | null = null;
    try {
      stored = openSecret(box, row.secretEnc);
    } catch {
      // Unreadable with this key: a typed value replaces it whole.
    }
    secret = mergeSecret(stored, typedSecrets, clearSecrets);
  }
  const connectorId = await routeTo(db, connector, form.type);
  let saved;
  try {
    saved = await saveConnectionRecord(db, box, { id, name: form.name, type: type.type, settings, secret, keepStoredSettings, connectorId });
  } catch (err) {
    if (err instanceof ConnectionNameTaken) throw new AppError("CONFLICT", err.message, { name: "another connection has this name" });
    throw err;
  }
  if (!saved) throw new AppError("NOT_FOUND", "no such connection (it may have been deleted)");
  // The audit log gets the names of the sealed fields and what happened to them, never a value
  // (and under names the redactor leaves readable).
  const { hasSecret: _hasSecret, connectorId: _connectorId, ...savedView } = saved;
  const sealedFields = secret !== undefined ? Object.keys(secret) : (before?.storedSecrets ?? []);
  const sealedFieldChanges = [...Object.keys(typedSecrets).map((k) => `${k} replaced`), ...clearSecrets.map((k) => `${k} removed`)];
  const routedVia = connector === undefined ? (before?.connector ?? null) : connector || null;
  const after = { ...savedView, connector: routedVia, sealedFields, sealedFieldChanges };
  const changes = [
    before && before.name !== saved.name ? `renamed ${before.name} to ${saved.name}` : undefined,
    (before?.connector ?? null) !== routedVia ? (routedVia ? `reached through connector ${routedVia}` : "dialled by the gateway itself") : undefined,
  ].filter(Boolean);
  await recordConsoleEvent(db, {
    action: `console.connection.${id ? "update" : "create"}`,
    outcome: "ok",
    actor: user.email,
    connectionName: saved.name,
    target: saved.id,
    before: before && auditView(before),
    after,
    message: changes.length ? changes.join("; ") : undefined,
  });
  // The gateway reads connections afresh for every new session (nothing cached); the event tells
  // any future cache, and other consoles, that this connection changed.
  await publish(db, "grants.changed", { connectionId: saved.id, reason: id ? "connection.updated" : "connection.created" });
  return { id: saved.id, name: saved.name };
}

function auditView({ storedSecrets, connectorId: _connectorId, ...rest }: ReturnType<typeof editView>) {
  return { ...rest, sealedFields: storedSecrets };
}

/** The connector's id for the row (null: none; undefined: keep), a connector that does not exist being a message under the field. */
async function routeTo(db: Db, connector: string | null | undefined, type: string): Promise<string | null | undefined> {
  if (!connector) return connector === undefined ? undefined : null;
  if (type === "mcp")
    throw new AppError("INVALID_INPUT", "an MCP server connection cannot be reached through a connector yet", {
      connector: "an MCP server connection cannot be reached through a connector yet (its SDK client dials itself)",
    });
  try {
    return await connectorIdOf(db, connector);
  } catch (err) {
    if (err instanceof ConnectorError) throw new AppError("INVALID_INPUT", err.message, { connector: err.message });
    throw err;
  }
}
