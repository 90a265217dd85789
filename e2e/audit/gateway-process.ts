import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type pg from "pg";
import { openDb, type DbHandle } from "../../drizzle/client";
import { createSecretBox, parseSecretKey, type SecretBox } from "../../core/crypto/secret-box";
import { addPostgresConnection } from "../../core/connections/add-connection";
import { grantAccess } from "../../core/access/grant-access";
import { issueKey } from "../../core/identity/manage-keys";
import { freePort } from "../support/free-port";
import { psqlAdmin, type PgServer } from "../support/pg-server";
import { run, type RunResult } from "../support/run-program";

const root = path.resolve(import.meta.dirname, "../..");

export type GatewayProcess = { proc: ChildProcess; log: () => string; kill9: () => Promise<void>; stop: () => Promise<void> };

/** One gateway as `npm run gateway` runs it, in its own process (so that it can be killed with SIGKILL), ready once its postgres listener is. */
export async function startGatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  const proc = spawn(process.execPath, ["bin/gateway.mjs"], { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the gateway did not start in time:\n${out}`)), 90_000);
    const onData = (d: Buffer) => {
      out += d;
      if (/gateway ready/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout!.on("data", onData);
    proc.stderr!.on("data", onData);
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited (${code}) before it was ready:\n${out}`));
    });
  });
  return {
    proc,
    log: () => out,
    async kill9() {
      proc.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill("SIGTERM");
      await exited;
    },
  };
}

/** The CLI with the gateway's environment. */
export function gatehouse(env: Record<string, string>, ...args: string[]): Promise<RunResult> {
  return run(process.execPath, [path.join(root, "bin/gatehouse.mjs"), ...args], { env });
}

/** Each session of one instance and protocol, with how many session.end events it has (a kill test wants 1 each). */
export async function sessionEndCounts(db: pg.Client, instance: string, protocol: string): Promise<Array<{ id: string; ends: number }>> {
  const { rows } = await db.query<{ id: string; ends: number }>(
    `select s.id, count(e.id)::int as ends from sessions s left join audit_events e on e.session_id = s.id and e.action = 'session.end'
      where s.gateway_instance = $1 and s.protocol = $2 group by s.id`,
    [instance, protocol],
  );
  return rows;
}

type Listener = "pg" | "mysql" | "ssh" | "http";
const PORT_SETTING: Record<Listener, string> = { pg: "GATEHOUSE_PG_PORT", mysql: "GATEHOUSE_MYSQL_PORT", ssh: "GATEHOUSE_SSH_PORT", http: "GATEHOUSE_HTTP_PORT" };

/**
 * The environment of a gateway process with a state database of its own in the run's PostgreSQL,
 * a data folder of its own (`dataDir`, the caller removes it) and a new secret key: the listeners
 * in `listen` on free ports, the others off. `env` adds or overrides settings.
 */
export async function gatewayProcessEnv(
  pgServer: Pick<PgServer, "socketDir" | "port">,
  opts: { instance: string; listen: Listener[]; env?: Record<string, string> },
): Promise<{ env: Record<string, string>; dataDir: string }> {
  const stateDb = `gh_${opts.instance.replace(/\W/g, "_")}_${randomBytes(4).toString("hex")}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), `gatehouse-${opts.instance.replace(/\W/g, "_")}-`));
  psqlAdmin(pgServer, `create database ${stateDb}`);
  const env: Record<string, string> = {
    DATABASE_URL: `postgres://postgres@localhost/${stateDb}?host=${encodeURIComponent(pgServer.socketDir)}&port=${pgServer.port}`,
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_SECRET_KEY: randomBytes(32).toString("hex"),
    GATEHOUSE_INSTANCE: opts.instance,
  };
  for (const [listener, setting] of Object.entries(PORT_SETTING)) env[setting] = opts.listen.includes(listener as Listener) ? String(await freePort()) : "0";
  return { env: { ...env, ...opts.env }, dataDir };
}

export type PgGateway = { gw: GatewayProcess; env: Record<string, string>; handle: DbHandle; box: SecretBox; port: number; key: string; stop: () => Promise<void> };

/**
 * A gateway process serving Postgres alone, on a state database of its own in the run's PostgreSQL
 * and a data folder of its own, with a connection `pg-prod` to the run's `shop` database granted to
 * group `analysts`, and a key for `identity` in that group. `env` adds or overrides settings.
 */
export async function startPgGatewayProcess(pgServer: Pick<PgServer, "socketDir" | "port">, opts: { instance: string; identity: string; env?: Record<string, string> }): Promise<PgGateway> {
  const { env, dataDir } = await gatewayProcessEnv(pgServer, { instance: opts.instance, listen: ["pg"], env: opts.env });
  const port = Number(env.GATEHOUSE_PG_PORT);
  const secret = env.GATEHOUSE_SECRET_KEY;
  const gw = await startGatewayProcess(env);
  const handle = openDb(env.DATABASE_URL, { max: 2, applicationName: "gatehouse-test-seed" });
  const box = createSecretBox(parseSecretKey(secret));
  await addPostgresConnection(handle.db, box, { name: "pg-prod", url: `postgres://app:secret@127.0.0.1:${pgServer.port}/shop?sslmode=disable` });
  await grantAccess(handle.db, "analysts", "pg-prod");
  const key = (await issueKey(handle.db, { identity: opts.identity, groups: ["analysts"] })).key;
  return {
    gw,
    env,
    handle,
    box,
    port,
    key,
    async stop() {
      await gw.stop();
      await handle.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
