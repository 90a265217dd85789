import "server-only";
import type { Db } from "../../drizzle/client";
import type { TestResult } from "../../core/connections/connection-type";
import { mergeSecret } from "../../core/connections/form-fields";
import type { SecretBox } from "../../core/crypto/secret-box";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { consoleConnectionType, planConnectionForm } from "./connection-type-of";
import type { ConnectionForm } from "./connection-forms";
import { getConnectionRow, openSecret } from "./get-connection";

export type { TestResult };

/**
 * Really connects to the target with the form's settings and its secrets (typed ones, else the
 * stored ones of connection `id`), with the type's own check, and audits the attempt. The result
 * carries the target's own error, never a secret.
 */
export async function testConnection(db: Db, box: SecretBox, user: ConsoleUserContext, form: ConnectionForm, id?: string, connector?: string | null): Promise<TestResult> {
  const type = consoleConnectionType(form.type);
  let stored: Record<string, string> | null = null;
  let storedSettings: Record<string, string | number | boolean> | null = null;
  let storedConnector: string | null = null;
  if (id) {
    try {
      const row = await getConnectionRow(db, id);
      storedSettings = row.settings;
      storedConnector = row.connector;
      stored = openSecret(box, row.secretEnc);
    } catch {
      // Missing or unreadable: test with what was typed.
    }
  }
  // A target behind a connector is in a network the console cannot reach: dialling it from here would test another host.
  const via = connector === undefined ? storedConnector : connector;
  if (via) {
    const error = `${form.name} is reached through connector ${via}, from its network: the console cannot dial it. Connect a client through the gateway to test it, and see the connector's state on the Connectors page.`;
    await recordConsoleEvent(db, { action: "console.connection.test", outcome: "error", actor: user.email, connectionName: form.name, target: id, message: error });
    return { ok: false, error, ms: 0 };
  }
  const plan = await planConnectionForm(type, form, { settings: storedSettings, secretKeys: Object.keys(stored ?? {}) }, user.email);
  const settings = type.parseSettings({ name: form.name, type: type.type, settings: plan.settings });
  const secret = type.secretSchema.parse(mergeSecret(stored, plan.typedSecrets, plan.clearSecrets) ?? stored ?? {});
  const result = await type.test({ settings, secret, form });
  const where = type.address(settings);
  const hostKey = result.hostKey
    ? ` (host key ${result.hostKey.fingerprint}${result.hostKey.pinned ? (result.hostKey.matches ? ", matches the pinned key" : `, pinned ${result.hostKey.pinned}`) : ", not pinned yet"})`
    : "";
  await recordConsoleEvent(db, {
    action: "console.connection.test",
    outcome: result.ok ? "ok" : "error",
    actor: user.email,
    connectionName: form.name,
    target: id,
    message: result.ok ? `reached ${where} in ${result.ms} ms: ${result.serverVersion}${hostKey}` : `${where}: ${result.error}`,
  });
  return result;
}
