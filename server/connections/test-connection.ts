import "server-only";
import pg from "pg";
import { eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { connections } from "../../drizzle/schema/index";
import type { SecretBox } from "../../gateway/crypto/secret-box";
import type { PostgresForm } from "./connection-forms";

export type TestResult = { ok: true; serverVersion: string; ms: number } | { ok: false; error: string; ms: number };

/**
 * Really connects to the target with the form's settings (and the typed password, or the stored
 * one when the field is empty), runs `select version()`, and reports the target's own error.
 * The password never appears in the result.
 */
export async function testPostgresConnection(db: Db, box: SecretBox, form: PostgresForm, existingId?: string): Promise<TestResult> {
  let password = form.clearPassword ? undefined : form.password || undefined;
  if (!password && !form.clearPassword && existingId) {
    const [row] = await db.select({ secretEnc: connections.secretEnc }).from(connections).where(eq(connections.id, existingId));
    if (row?.secretEnc) password = (JSON.parse(box.open(row.secretEnc)) as { password?: string }).password;
  }
  const started = performance.now();
  const client = new pg.Client({
    host: form.host, port: form.port, database: form.database, user: form.user, password,
    ssl: form.sslmode === "require" || form.sslmode === "verify-full" ? { rejectUnauthorized: form.sslmode === "verify-full" } : false,
    connectionTimeoutMillis: 5000, statement_timeout: 5000, application_name: "gatehouse-console-test",
  });
  client.on("error", () => {});
  try {
    await client.connect();
    const { rows } = await client.query<{ v: string }>("select version() as v");
    return { ok: true, serverVersion: rows[0].v.split(" on ")[0], ms: Math.round(performance.now() - started) };
  } catch (err) {
    const message = (err as Error).message || String(err);
    return { ok: false, error: password ? message.split(password).join("[password]") : message, ms: Math.round(performance.now() - started) };
  } finally {
    await client.end().catch(() => {});
  }
}
