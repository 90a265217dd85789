import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "./free-port";

export type PgServer = { port: number; socketDir: string; dataDir: string; url: (db: string, user?: string, password?: string) => string; stop: () => Promise<void> };

/** PostgreSQL's binaries from Debian's package (installed by scripts/test-prereqs.sh when missing). */
export function pgBin(name: string): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(path.join(root, v, "bin", name))) return path.join(root, v, "bin", name);
  throw new Error(`PostgreSQL's ${name} is not installed (apt-get install postgresql)`);
}

const isRoot = process.getuid?.() === 0;
// initdb and postgres refuse to run as root, so as root they run as the postgres user.
const asPg = (cmd: string, args: string[]): [string, string[]] => (isRoot ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args]);

/**
 * A private PostgreSQL on a free port, in a temp folder: trust over the unix socket (for setup),
 * scram-sha-256 over TCP (so the gateway's target authentication is exercised for real).
 */
export async function startPgServer(opts: { settings?: Record<string, string>; netns?: string } = {}): Promise<PgServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "gatehouse-pg-"));
  const socketDir = mkdtempSync(path.join(tmpdir(), "gatehouse-pgsock-"));
  if (isRoot) execFileSync("chown", ["postgres:postgres", dataDir, socketDir]);
  chmodSync(socketDir, 0o777);
  const [initCmd, initArgs] = asPg(pgBin("initdb"), ["-D", dataDir, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"]);
  execFileSync(initCmd, initArgs, { stdio: "pipe" });
  const port = await freePort();
  const settings: Record<string, string> = {
    port: String(port),
    listen_addresses: "'127.0.0.1'",
    unix_socket_directories: `'${socketDir}'`,
    fsync: "off",
    synchronous_commit: "off",
    full_page_writes: "off",
    max_connections: "200",
    shared_buffers: "128MB",
    ...opts.settings,
  };
  writeFileSync(
    path.join(dataDir, "postgresql.auto.conf"),
    Object.entries(settings)
      .map(([k, v]) => `${k} = ${v}`)
      .join("\n") + "\n",
  );
  const [pgCmd, pgArgs] = asPg(pgBin("postgres"), ["-D", dataDir]);
  // In a network namespace (e2e/connector): its 127.0.0.1 is the namespace's own; the unix socket (setup) is still reachable.
  const [cmd, args] = opts.netns ? ["ip", ["netns", "exec", opts.netns, pgCmd, ...pgArgs]] : [pgCmd, pgArgs];
  const proc: ChildProcess = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  proc.stderr!.on("data", (d) => (log += d));
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      execFileSync(pgBin("pg_isready"), ["-h", socketDir, "-p", String(port)], { stdio: "ignore" });
      break;
    } catch {
      if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`postgres did not start:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    port,
    socketDir,
    dataDir,
    url: (db, user = "postgres", password) => `postgres://${user}${password ? `:${encodeURIComponent(password)}` : ""}@127.0.0.1:${port}/${db}`,
    async stop() {
      await stopPostmaster(dataDir, proc);
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(socketDir, { recursive: true, force: true });
    },
  };
}

/** Fast shutdown, signalled to the postmaster itself (runuser does not pass signals on), SIGKILL as a last resort. */
async function stopPostmaster(dataDir: string, proc: ChildProcess): Promise<void> {
  const pidFile = path.join(dataDir, "postmaster.pid");
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8").split("\n")[0]) : proc.pid;
  const alive = () => {
    try {
      process.kill(pid!, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!pid || !alive()) return;
  process.kill(pid, "SIGINT");
  const deadline = Date.now() + 15_000;
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (alive()) process.kill(pid, "SIGKILL");
}

/** Runs SQL as the superuser over the unix socket (trust), for test setup. */
export function psqlAdmin(server: Pick<PgServer, "socketDir" | "port">, sql: string | string[], db = "postgres"): string {
  const commands = (Array.isArray(sql) ? sql : [sql]).flatMap((c) => ["-c", c]);
  return execFileSync("psql", ["-h", server.socketDir, "-p", String(server.port), "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1", "-qAtX", ...commands], { encoding: "utf8" });
}
