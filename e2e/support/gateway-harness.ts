import { run, type RunResult } from "./run-program";
import { inProcessCli } from "./in-process-cli";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { loadConfig } from "../../gateway/config";
import { startGateway, type RunningGateway } from "../../gateway/start-gateway";
import { psqlAdmin } from "./pg-server";
import { findConnectionId } from "../../core/connections/connection-id";
import { addPostgresConnection } from "../../core/connections/add-connection";
import { grantAccess } from "../../core/access/grant-access";
import { issueKey, parseTtl } from "../../core/identity/manage-keys";

export { run, type RunResult };

export type TestGateway = {
  gw: RunningGateway;
  pgPort: number;
  env: Record<string, string>;
  /** The target server (shared by the run) and a URL for the `app` role on a database of it. */
  target: { port: number; socketDir: string; url: (db?: string) => string };
  cli: (...args: string[]) => Promise<RunResult>;
  /** Adds a postgres connection granted to `group` and returns a key of an identity in that group. */
  setupAccess: (opts?: { connection?: string; group?: string; identity?: string; ttl?: string; db?: string }) => Promise<string>;
  /** Runs psql asynchronously (the gateway lives in this process, so a blocking spawn would starve it). */
  psql: (key: string, connection: string, args: string[], input?: string) => Promise<RunResult>;
  close: () => Promise<void>;
};

/** A gateway in this process on free ports, with its own database in the run's private PostgreSQL. */
export async function startTestGateway(extraEnv: Record<string, string> = {}, opts: { shareDatabaseWith?: TestGateway } = {}): Promise<TestGateway> {
  const pg = inject("pg");
  const dbName = `gh_${randomBytes(6).toString("hex")}`;
  if (!opts.shareDatabaseWith) psqlAdmin(pg, `create database ${dbName}`);
  const dataDir = mkdtempSync(path.join(tmpdir(), "gatehouse-data-"));
  const shared = opts.shareDatabaseWith?.env;
  const env: Record<string, string> = {
    DATABASE_URL: shared?.DATABASE_URL ?? `postgres://postgres@localhost/${dbName}?host=${encodeURIComponent(pg.socketDir)}&port=${pg.port}`,
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_SECRET_KEY: shared?.GATEHOUSE_SECRET_KEY ?? randomBytes(32).toString("hex"),
    GATEHOUSE_PG_PORT: "0",
    GATEHOUSE_MYSQL_PORT: "0",
    GATEHOUSE_SSH_PORT: "0",
    GATEHOUSE_HTTP_PORT: "0",
    GATEHOUSE_INSTANCE: `test-${dbName}`,
    // Every test client signs in from 127.0.0.1: failed-sign-in throttling is out of the way unless a test sets it (e2e/abuse/auth-throttle).
    GATEHOUSE_AUTH_FREE_FAILURES: "100000",
    GATEHOUSE_AUTH_REFUSE_AFTER: "1000000",
    ...extraEnv,
  };
  const gw = await startGateway(loadConfig(env as NodeJS.ProcessEnv), { log: process.env.GATEHOUSE_TEST_LOG ? (m) => console.error(m) : () => {} });
  const runCli = inProcessCli(env);
  // The gateway writes audit events in batches (every 100 ms): reading the log ships what this gateway holds first.
  const cli = async (...args: string[]) => {
    if (args[0] === "audit" && args[1] === "list") await gw.deps.audit.flush();
    return runCli(...args);
  };
  const target = { port: pg.port, socketDir: pg.socketDir, url: (db = "shop") => `postgres://app:secret@127.0.0.1:${pg.port}/${db}?sslmode=disable` };
  const t: TestGateway = {
    gw,
    pgPort: gw.ports.pg,
    env,
    target,
    cli,
    // Seeded through the domain functions the CLI calls (a CLI process per step costs seconds).
    async setupAccess({ connection = "pg-prod", group = "analysts", identity = "agent-7", ttl, db } = {}) {
      const { db: store, box } = gw.deps;
      if ((await findConnectionId(store, connection)) === undefined) await addPostgresConnection(store, box, { name: connection, url: target.url(db) });
      await grantAccess(store, group, connection);
      return (await issueKey(store, { identity, groups: [group], ttlMs: ttl ? parseTtl(ttl) : undefined })).key;
    },
    psql(key, connection, args, input) {
      const conninfo = `host=127.0.0.1 port=${gw.ports.pg} dbname=${connection} user=agent sslmode=disable`;
      return run("psql", [conninfo, "-X", ...args], { env: { PGPASSWORD: key, PGCONNECT_TIMEOUT: "10" }, input });
    },
    async close() {
      await gw.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return t;
}
