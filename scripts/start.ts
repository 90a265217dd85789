/**
 * `npm start`: the whole product on one machine. This process supervises the gateway and the
 * console (child processes) and, without DATABASE_URL, hosts the embedded database: PGlite
 * (PostgreSQL compiled to WebAssembly) with its files in <data dir>/pgdata, served on the unix
 * socket <data dir>/.s.PGSQL.5432 so that the gateway, the console and the CLI all use the
 * ordinary `pg` driver and the same migrations.
 *
 * What the embedded database cannot do, found by experiment (PGlite 0.5.14, PostgreSQL 18.6):
 * - It is ONE backend and ONE session, shared by every socket connection:
 *   - One transaction at a time. While a connection is inside a transaction, every other
 *     connection waits (even plain reads), so `select ... for update` from two connections is
 *     serialised rather than locked. A connection that sits idle in a transaction for 60 s is
 *     disconnected (SQLSTATE 25P03) and rolled back, so it cannot stall the others for good.
 *   - One statement at a time, in this process's thread: a slow query (pg_sleep(2)) stalls every
 *     connection, and this supervisor, for its duration. Cancel requests are not supported.
 *   - Session state is shared: SET (search_path, statement_timeout...), temp tables, named
 *     prepared statements ("prepared statement already exists" if two connections prepare the
 *     same name), application_name (empty for all), pg_backend_pid() (the same for all).
 *   - Advisory locks do not exclude: a second connection's pg_advisory_lock on a key another
 *     holds returns at once (same session). So the migrator's lock does not serialise migrators:
 *     of three started together on a fresh database one failed ("CREATE TABLE ... already
 *     exists"; the others and the migrations table were fine). Start-up migrates before the
 *     children start, so they never race here.
 * - LISTEN/NOTIFY does not cross connections: a NOTIFY on one connection reaches a LISTEN only on
 *   the same one. The gateway's event bus skips LISTEN here and polls its table every second.
 * - Only one process may open the data folder: two PGlite instances on one folder corrupt it
 *   (seen: the next open aborts). The socket is the folder's lock: start refuses while it answers.
 * - Works: the Drizzle migrations, gen_random_uuid(), jsonb, json_populate_recordset, FOR UPDATE,
 *   many pooled connections (gateway + console + CLI; 64 by default), and a committed write
 *   survived SIGKILL of this process. Several gateway instances need a real DATABASE_URL.
 * - The socket server is ours (scripts/embedded-db/), not @electric-sql/pglite-socket 0.2.17:
 *   that one queues each protocol message separately, so when a large message (an audit batch)
 *   arrives in several socket reads, another connection's Parse slips between its Parse and
 *   Bind, and its parameters bind to the other statement: rows landed in the wrong table with
 *   no error. Ours gives a connection the backend until ReadyForQuery says it is idle.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { loadConfig } from "../gateway/config";
import { runMigrations } from "../drizzle/migrate";
import { serveEmbeddedDatabase, type EmbeddedDatabase } from "./embedded-db/serve-embedded-database";
import { describeExit, startChild, stopChild, type Child } from "./supervisor/child-processes";
import { consoleBuildNeeded } from "./supervisor/console-build";
import { printBanner } from "./supervisor/banner";
import { ensureFirstAdmin } from "./supervisor/first-admin";

const root = path.resolve(import.meta.dirname, "..");
const startEnvSchema = z.object({
  /** Console port. */
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /** `off`: no console (headless servers, tests). */
  GATEHOUSE_CONSOLE: z
    .string()
    .default("on")
    .transform((v) => v !== "off"),
  /** Address the console listens on; loopback unless told otherwise (put TLS in front before exposing it). */
  GATEHOUSE_CONSOLE_HOST: z.string().default("127.0.0.1"),
});

function loadSettings() {
  try {
    const env = startEnvSchema.safeParse(process.env);
    if (!env.success) throw new Error(`invalid configuration:\n${env.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n")}`);
    return { config: loadConfig(), env: env.data };
  } catch (err) {
    console.error(`Gatehouse cannot start: ${(err as Error).message}`);
    process.exit(1);
  }
}

const { config, env } = loadSettings();
const nextBin = path.join(root, "node_modules/next/dist/bin/next");
const exitWithSupervisor = ["--import", pathToFileURL(path.join(root, "scripts/supervisor/exit-with-supervisor.mjs")).href];
// Next would otherwise try to add other platforms' compiler packages to package-lock.json.
// The console's public address: sign-in callbacks are built from it (AUTH_URL), and the gateway puts
// it in review links. Next names a loopback host "localhost" in its request URLs, so that is the name.
const publicHost = ["127.0.0.1", "::1", "0.0.0.0", "::"].includes(env.GATEHOUSE_CONSOLE_HOST) ? "localhost" : env.GATEHOUSE_CONSOLE_HOST;
const publicUrl = process.env.AUTH_URL ?? `http://${publicHost}:${env.PORT}`;
const childEnv = {
  ...process.env,
  GATEHOUSE_DATA_DIR: config.dataDir,
  NEXT_IGNORE_INCORRECT_LOCKFILE: "1",
  NEXT_TELEMETRY_DISABLED: "1",
  AUTH_URL: publicUrl,
  GATEHOUSE_CONSOLE_URL: process.env.GATEHOUSE_CONSOLE_URL ?? publicUrl,
};
const children: Child[] = [];
let database: Promise<EmbeddedDatabase> | undefined;
let stopping = false;

async function stop(code: number, why?: string): Promise<never> {
  if (!stopping) {
    stopping = true;
    if (why) console.error(why);
    await Promise.all(children.map((c) => stopChild(c)));
    const db = await database?.catch(() => undefined); // wait for an open under way: never exit halfway through initdb
    await db?.close().catch((err) => console.error(`closing the embedded database: ${(err as Error).message}`));
    console.error(code === 0 ? "Gatehouse stopped." : "Gatehouse stopped after an error.");
    process.exit(code);
  }
  return new Promise<never>(() => {});
}

/** A child that ends on its own takes everything down: a half-running product is worse than a clear stop. */
function supervise(child: Child) {
  children.push(child);
  void child.exited.then((how) => stopping || stop(1, `${child.name} stopped unexpectedly (${describeExit(how)}); stopping Gatehouse`));
}

function startGateway(): Promise<string> {
  return new Promise((resolve, reject) => {
    // Its listener's log line says it is ready, and where (the port may have been 0).
    const timer = setTimeout(() => reject(new Error("the gateway did not start listening within 2 minutes")), 120_000);
    const child = startChild("gateway", process.execPath, [...exitWithSupervisor, "bin/gateway.mjs"], {
      cwd: root,
      env: childEnv,
      onLine: (line) => {
        const m = /gateway ready: .*?\bpostgres on ([^\s",]+)/.exec(line); // a JSON log line: the address ends at a comma or the closing quote
        if (!m) return;
        clearTimeout(timer);
        resolve(m[1]);
      },
    });
    supervise(child);
  });
}

async function buildConsoleIfNeeded(): Promise<void> {
  const reason = consoleBuildNeeded(root);
  if (!reason) return;
  console.log(reason);
  const build = startChild("console build", process.execPath, [nextBin, "build"], { cwd: root, env: childEnv });
  children.push(build);
  const how = await build.exited;
  children.splice(children.indexOf(build), 1);
  if (how !== 0 && !stopping) await stop(1, `the console build failed (${describeExit(how)}): see the lines above`);
}

async function startConsole(gateway: string): Promise<string> {
  const args = [...exitWithSupervisor, nextBin, "start", "-p", String(env.PORT), "-H", env.GATEHOUSE_CONSOLE_HOST];
  // The gateway's actual port (it may have been 0), for the commands the console shows.
  const consoleEnv = { ...childEnv, GATEHOUSE_PG_PORT: gateway.slice(gateway.lastIndexOf(":") + 1) };
  supervise(startChild("console", process.execPath, args, { cwd: root, env: consoleEnv }));
  await waitForConsole(env.GATEHOUSE_CONSOLE_HOST, env.PORT);
  return publicUrl;
}

/** Until the console answers its sign-in page (an open port alone is not a console ready to serve). */
async function waitForConsole(host: string, port: number): Promise<void> {
  const url = `http://${host === "0.0.0.0" || host === "::" ? "localhost" : host.includes(":") ? `[${host}]` : host}:${port}/sign-in`;
  while (!stopping) {
    const ok = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(10_000) }).then(
      (r) => r.status < 500,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main() {
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  process.on("SIGHUP", () => void stop(0)); // the terminal closed
  if (!process.env.DATABASE_URL) {
    console.log(`opening the embedded database in ${config.dataDir} (set DATABASE_URL to use a PostgreSQL server instead)`);
    database = serveEmbeddedDatabase({
      dataDir: config.dataDir,
      maxConnections: 64,
      onFatal: (err) => void stop(1, `the embedded database failed: ${err.message}; stopping Gatehouse`),
    });
    await database;
  }
  if (stopping) return;
  await runMigrations(config.databaseUrl);
  if (stopping) return;
  const firstAdmin = await ensureFirstAdmin(config.databaseUrl);
  const gateway = await startGateway();
  if (env.GATEHOUSE_CONSOLE && !stopping) await buildConsoleIfNeeded();
  if (stopping) return; // a signal (or a failed child) during start-up: stop() is taking everything down
  const consoleUrl = env.GATEHOUSE_CONSOLE ? await startConsole(gateway) : undefined;
  if (!stopping) printBanner({ config, consoleUrl, gateway, firstAdmin });
}

main().catch((err: Error) => stop(1, `Gatehouse failed to start: ${err.message}`));
