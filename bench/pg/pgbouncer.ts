import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "../../e2e/support/free-port";
import { findProcess, onCleanup, startService } from "./procs";

export type Bouncer = { port: number; pid: number };

const BIN = "/usr/sbin/pgbouncer";
const isRoot = process.getuid?.() === 0;

/**
 * Debian's pgbouncer in transaction pooling in front of `target`, on a free port.
 * It refuses to run as root, so as root it runs as the postgres user from a folder that user owns.
 */
export async function startPgbouncer(target: { port: number; database: string; user: string; password: string }): Promise<Bouncer> {
  const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-bench-pgbouncer-"));
  onCleanup("pgbouncer folder", () => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const ini = path.join(dir, "pgbouncer.ini");
  const authFile = path.join(dir, "userlist.txt");
  writeFileSync(authFile, `"${target.user}" "${target.password}"\n`);
  writeFileSync(
    ini,
    [
      "[databases]",
      `${target.database} = host=127.0.0.1 port=${target.port} dbname=${target.database}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      `unix_socket_dir = ${dir}`,
      "auth_type = scram-sha-256",
      `auth_file = ${authFile}`,
      "pool_mode = transaction",
      "max_client_conn = 100",
      "default_pool_size = 20",
      "server_tls_sslmode = disable",
      "client_tls_sslmode = disable",
      "log_connections = 0",
      "log_disconnections = 0",
      "",
    ].join("\n"),
  );
  chmodSync(authFile, 0o600);
  if (isRoot) execFileSync("chown", ["-R", "postgres:postgres", dir]);
  const [cmd, args] = isRoot ? ["runuser", ["-u", "postgres", "--", BIN, ini]] : [BIN, [ini]];
  const svc = await startService("pgbouncer", cmd, args, { ready: /process up|listening on/i, timeoutMs: 15_000 });
  const pid = findProcess(svc.proc.pid!, "pgbouncer");
  if (!pid) throw new Error(`pgbouncer started but its process was not found:\n${svc.log()}`);
  return { port, pid };
}
