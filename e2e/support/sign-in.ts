import pg from "pg";
import type { TestGateway } from "./gateway-harness";

export type AuditRow = {
  id: number;
  action: string;
  outcome: string;
  identityName: string | null;
  groups: string[] | null;
  connectionName: string | null;
  sessionId: string | null;
  statement: string | null;
  message: string | null;
};

export type SignIn = {
  /** null when the connection was accepted. */
  code: string | null;
  message: string | null;
  severity: string | null;
  /** What real psql printed and its exit status for the same password and connection. */
  psql: { code: number; stderr: string; stdout: string };
};

/**
 * Signs in with `password` to `connection` twice: with node-postgres (to read the SQLSTATE of the
 * refusal, which libpq does not print for connection failures) and with real psql.
 */
export async function signIn(t: TestGateway, password: string, connection = "pg-prod"): Promise<SignIn> {
  // A password function is the only way to make node-postgres send an empty password.
  const client = new pg.Client({ host: "127.0.0.1", port: t.pgPort, database: connection, user: "agent", password: () => password, connectionTimeoutMillis: 10_000 });
  client.on("error", () => {});
  let res: Omit<SignIn, "psql">;
  try {
    await client.connect();
    await client.query("select 1");
    res = { code: null, message: null, severity: null };
  } catch (err) {
    const e = err as pg.DatabaseError;
    res = { code: e.code ?? "(no sqlstate)", message: e.message, severity: e.severity ?? null };
  } finally {
    await client.end().catch(() => {});
  }
  const psql = await t.psql(password, connection, ["-w", "-qAtc", "select 1"]);
  return { ...res, psql };
}

/** Runs SQL on the gateway's own database (the shared state), for checks the CLI does not expose. */
export async function gatehouseQuery<R extends pg.QueryResultRow>(t: TestGateway, text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: t.env.DATABASE_URL });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** The gateway's audit log as the CLI prints it, after writing out what the gateway still holds. */
export async function auditLog(t: TestGateway): Promise<AuditRow[]> {
  await t.gw.deps.audit.flush();
  const r = await t.cli("audit", "list", "--json");
  if (r.code !== 0) throw new Error(r.stderr);
  return r.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditRow);
}

/** Audit rows written after `before` (a previous auditLog result). */
export async function auditSince(t: TestGateway, before: AuditRow[]): Promise<AuditRow[]> {
  const last = before.length ? before[before.length - 1].id : 0;
  return (await auditLog(t)).filter((e) => e.id > last);
}

/** Resolves with how the client's connection ended (or "still open" after `ms`). */
export function endOf(client: pg.Client, ms: number): Promise<{ how: "error" | "end" | "still open"; error?: pg.DatabaseError; afterMs: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ how: "still open", afterMs: Date.now() - started }), ms);
    client.once("error", (error) => (clearTimeout(timer), resolve({ how: "error", error: error as pg.DatabaseError, afterMs: Date.now() - started })));
    client.once("end", () => (clearTimeout(timer), resolve({ how: "end", afterMs: Date.now() - started })));
  });
}
