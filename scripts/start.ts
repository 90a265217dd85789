/**
 * `npm start`: the whole product on one machine — console and gateway as child processes.
 *
 * Without DATABASE_URL, this process hosts the embedded database: PGlite (PostgreSQL compiled to
 * WASM) with its files in <data dir>/pgdata, served on the unix socket <data dir>/.s.PGSQL.5432 so
 * the gateway, the console and the CLI all use the ordinary `pg` driver and the same migrations.
 * What the embedded mode cannot do, found by experiment (PGlite 0.5, pglite-socket 0.2):
 * - PGlite is one backend: the socket server queues statements from all connections through it, and
 *   an open transaction on one connection holds the others until it ends. Keep transactions short.
 * - LISTEN/NOTIFY does not cross connections (a NOTIFY on one socket connection never reaches a
 *   LISTEN on another), so the event bus falls back to polling its table every second there.
 * - Advisory locks, gen_random_uuid() and the Drizzle migrations work.
 * - Only one process can open the data folder, so several gateway instances need DATABASE_URL.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { loadConfig } from "../gateway/config";
import { runMigrations } from "../drizzle/migrate";

const root = path.resolve(import.meta.dirname, "..");
const config = loadConfig();
const consolePort = Number(process.env.PORT ?? 3000);
const withConsole = process.env.GATEHOUSE_CONSOLE !== "off";
// The preview console has no sign-in yet, so it listens on loopback unless told otherwise.
const consoleHost = process.env.GATEHOUSE_CONSOLE_HOST ?? "127.0.0.1";
const children: ChildProcess[] = [];
let embedded: { server: PGLiteSocketServer; db: PGlite } | undefined;
let stopping = false;
// Next would try to add other platforms' compiler packages to package-lock.json; the registry here has none.
const NEXT_ENV = { NEXT_IGNORE_INCORRECT_LOCKFILE: "1", NEXT_TELEMETRY_DISABLED: "1" };

async function startEmbeddedDatabase() {
  const socketPath = path.join(config.dataDir, ".s.PGSQL.5432");
  rmSync(socketPath, { force: true }); // a stale socket from a crashed run
  const db = await PGlite.create(path.join(config.dataDir, "pgdata"));
  const server = new PGLiteSocketServer({ db, path: socketPath, maxConnections: 64 });
  await server.start();
  embedded = { server, db };
  console.log(`embedded database in ${config.dataDir} (set DATABASE_URL to use a real PostgreSQL)`);
}

function prefixLines(name: string, stream: NodeJS.ReadableStream, out: NodeJS.WriteStream) {
  let rest = "";
  stream.on("data", (d: Buffer) => {
    const lines = (rest + d.toString()).split("\n");
    rest = lines.pop() ?? "";
    for (const l of lines) out.write(`[${name}] ${l}\n`);
  });
}

function startChild(name: string, cmd: string, args: string[], onLine?: (line: string) => void): ChildProcess {
  const env = { ...process.env, GATEHOUSE_DATA_DIR: config.dataDir, ...NEXT_ENV };
  const child = spawn(cmd, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  prefixLines(name, child.stdout!, process.stdout);
  prefixLines(name, child.stderr!, process.stderr);
  if (onLine) child.stderr!.on("data", (d: Buffer) => d.toString().split("\n").forEach(onLine));
  child.on("exit", (code, signal) => {
    if (stopping) return;
    console.error(`${name} stopped unexpectedly (${signal ?? `exit code ${code}`}); stopping Gatehouse`);
    void stop(1);
  });
  children.push(child);
  return child;
}

function buildConsoleIfNeeded() {
  if (existsSync(path.join(root, ".next", "BUILD_ID"))) return;
  console.log("building the console (first start only, about a minute)...");
  const r = spawnSync(process.execPath, [path.join(root, "node_modules/next/dist/bin/next"), "build"], { cwd: root, stdio: "inherit", env: { ...process.env, ...NEXT_ENV } });
  if (r.status !== 0) throw new Error("the console build failed (see above)");
}

function banner() {
  const pg = `${config.bind}:${config.ports.pg}`;
  console.log(`
Gatehouse is running.
  console    ${withConsole ? `http://${consoleHost}:${consolePort}` : "off (GATEHOUSE_CONSOLE=off)"}
  postgres   ${pg}   (database name = connection name, password = a Gatehouse key or OIDC token)

Next steps:
  npx gatehouse connections add pg-prod --type postgres --url postgres://user:pass@host:5432/db
  npx gatehouse grant analysts pg-prod
  KEY=$(npx gatehouse keys issue agent-7 --groups analysts --ttl 1h)
  PGPASSWORD=$KEY psql "host=${config.bind} port=${config.ports.pg} dbname=pg-prod user=agent-7 sslmode=require"
`);
}

async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  await Promise.all(
    children.map((c) =>
      c.exitCode !== null || c.signalCode !== null ? undefined : new Promise<void>((resolve) => {
        c.once("exit", () => resolve());
        c.kill("SIGTERM");
        setTimeout(() => c.kill("SIGKILL"), 10_000).unref();
      }),
    ),
  );
  if (embedded) {
    await embedded.server.stop().catch(() => {});
    await embedded.db.close().catch(() => {}); // a clean close keeps the data folder consistent
  }
  process.exit(code);
}

async function main() {
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  if (!process.env.DATABASE_URL) await startEmbeddedDatabase();
  await runMigrations(config.databaseUrl);
  if (withConsole) buildConsoleIfNeeded();
  await new Promise<void>((resolve) => {
    startChild("gateway", process.execPath, ["--import", "tsx", "gateway/main.ts"], (line) => {
      if (line.includes("postgres listener on")) resolve();
    });
  });
  if (withConsole) startChild("console", process.execPath, [path.join(root, "node_modules/next/dist/bin/next"), "start", "-p", String(consolePort), "-H", consoleHost]);
  banner();
}

main().catch(async (err) => {
  console.error(`Gatehouse failed to start: ${err instanceof Error ? err.message : err}`);
  await stop(1);
});
