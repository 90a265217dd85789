import "server-only";
import pg from "pg";
import type { Db } from "../../drizzle/client";
import type { SecretBox } from "../../core/crypto/secret-box";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { describeConnectError } from "./connect-error";
import { mergeSecret, splitConnectionForm, type ConnectionForm, type PostgresForm, type SshForm } from "./connection-forms";
import { getConnectionRow, openSecret } from "./get-connection";
import { planSshSecrets } from "./ssh-connection-form";
import { testSshTarget, type HostKeyCheck, type SshTestResult } from "./test-ssh-target";

export type TestResult = { ok: true; serverVersion: string; ms: number; hostKey?: HostKeyCheck } | { ok: false; error: string; ms: number; hostKey?: HostKeyCheck };

const TIMEOUT_MS = 5000;

/**
 * Really connects to the target with the form's settings and its secrets (typed ones, else the
 * stored ones of connection `id`), and audits the attempt. The result carries the target's own
 * error, never a secret.
 */
export async function testConnection(db: Db, box: SecretBox, user: ConsoleUserContext, form: ConnectionForm, id?: string): Promise<TestResult> {
  let { typedSecrets, clearSecrets } = splitConnectionForm(form);
  let stored: Record<string, string> | null = null;
  let storedSettings: Record<string, unknown> | null = null;
  if (id) {
    try {
      const row = await getConnectionRow(db, id);
      storedSettings = row.settings;
      stored = openSecret(box, row.secretEnc);
    } catch {
      // Missing or unreadable: test with what was typed.
    }
  }
  let ssh: ReturnType<typeof planSshSecrets> | undefined;
  if (form.type === "ssh") ({ typedSecrets, clearSecrets } = ssh = planSshSecrets(form, typedSecrets, clearSecrets, Object.keys(stored ?? {})));
  const secret = mergeSecret(stored, typedSecrets, clearSecrets) ?? stored ?? {};
  const result =
    form.type === "ssh" && ssh
      ? await testSshForm(form, ssh.auth, secret, typeof storedSettings?.hostKey === "string" ? storedSettings.hostKey : undefined)
      : await testPostgresTarget(form as PostgresForm, secret.password);
  const hostKey = result.hostKey ? ` (host key ${result.hostKey.fingerprint}${result.hostKey.pinned ? (result.hostKey.matches ? ", matches the pinned key" : `, pinned ${result.hostKey.pinned}`) : ", not pinned yet"})` : "";
  await recordConsoleEvent(db, {
    action: "console.connection.test", outcome: result.ok ? "ok" : "error", actor: user.email, connectionName: form.name, target: id,
    message: result.ok ? `reached ${form.host}:${form.port} in ${result.ms} ms: ${result.serverVersion}${hostKey}` : `${form.host}:${form.port}: ${result.error}`,
  });
  return result;
}

/** A fingerprint typed into the form is what an unsaved pin would be; else the connection's own pin. */
function testSshForm(form: SshForm, auth: "privateKey" | "password", secret: Record<string, string>, pinned: string | undefined): Promise<SshTestResult> {
  return testSshTarget({ host: form.host, port: form.port, user: form.user, auth, secret, pinnedHostKey: form.hostKey ?? pinned });
}

/** `select version()` over a fresh client, with TLS as the gateway would negotiate it. */
async function testPostgresTarget(form: PostgresForm, password: string | undefined): Promise<TestResult> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  // The gateway's "prefer" tries TLS and falls back to plain when the target does not offer it.
  const attempts: (false | { rejectUnauthorized: boolean })[] =
    form.sslmode === "disable" ? [false] : form.sslmode === "prefer" ? [{ rejectUnauthorized: false }, false] : [{ rejectUnauthorized: form.sslmode === "verify-full" }];
  let lastError: unknown;
  for (const ssl of attempts) {
    const client = new pg.Client({
      host: form.host, port: form.port, database: form.database, user: form.user, password, ssl,
      connectionTimeoutMillis: TIMEOUT_MS, query_timeout: TIMEOUT_MS, statement_timeout: TIMEOUT_MS, application_name: "gatehouse-console-test",
    });
    client.on("error", () => {});
    try {
      await client.connect();
      const { rows } = await client.query<{ v: string }>("select version() as v");
      return { ok: true, serverVersion: rows[0].v.split(" on ")[0], ms: ms() };
    } catch (err) {
      lastError = err;
      if (!(ssl && form.sslmode === "prefer" && /does not support SSL/i.test((err as Error).message))) break;
    } finally {
      await client.end().catch(() => {});
    }
  }
  return { ok: false, error: describeConnectError(lastError, password ? [password] : []), ms: ms() };
}
