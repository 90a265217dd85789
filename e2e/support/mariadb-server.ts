import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { generate } from "selfsigned";
import { run } from "./run-program";
import { freePort } from "./free-port";

export type MariadbServer = {
  port: number;
  socket: string;
  version: string;
  /** The account the gateway logs in as (mysql_native_password, over TCP). */
  user: string;
  password: string;
  /** Runs SQL as root over the unix socket (test setup), returning the mysql client's batch output. */
  admin: (sql: string, db?: string) => Promise<string>;
  url: (db?: string) => string;
  stop: () => Promise<void>;
};

const isRoot = process.getuid?.() === 0;

/**
 * A bootstrapped data folder and a certificate, made once per test process and copied for each
 * server: mariadb-install-db takes about 5 s (its writes wait on the disk) and the RSA key about 1 s of
 * CPU, where copying the shut-down folder takes a fraction of a second. Fifteen test files start a server.
 */
type Template = { dataDir: string; cert: string; key: string };
let template: Promise<Template> | null = null;

function bootstrapped(): Promise<Template> {
  template ??= makeTemplate().catch((err: unknown) => {
    template = null;
    throw err;
  });
  return template;
}

async function makeTemplate(): Promise<Template> {
  const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-mariadb-template-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const dataDir = path.join(dir, "data");
  const tmp = path.join(dir, "tmp");
  mkdirSync(tmp);
  const asUser = isRoot ? ["--user=root"] : [];
  const install = await run("mariadb-install-db", ["--no-defaults", `--datadir=${dataDir}`, `--tmpdir=${tmp}`, "--auth-root-authentication-method=normal", "--skip-test-db", ...asUser]);
  if (install.code !== 0) throw new Error(`mariadb-install-db failed (apt-get install mariadb-server): ${install.stderr}`);
  const pems = await generate([{ name: "commonName", value: "localhost" }], { keySize: 2048, days: 30, algorithm: "sha256" } as Parameters<typeof generate>[1]);
  return { dataDir, cert: pems.cert, key: pems.private };
}

/**
 * A private MariaDB (Debian's mariadbd) for one test file: a fresh copy of a mariadb-install-db data
 * folder in a temp folder, a free port on 127.0.0.1, its own unix socket, TLS on with a generated
 * certificate, and an `app` account with a password (the gateway's target credentials). Not the
 * machine's service.
 */
export async function startMariadb(opts: { netns?: string } = {}): Promise<MariadbServer> {
  const made = await bootstrapped();
  const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-mariadb-"));
  const dataDir = path.join(dir, "data");
  const socket = path.join(dir, "mysqld.sock");
  const asUser = isRoot ? ["--user=root"] : [];
  // Its own temporary folder: test files start servers at the same time, and servers sharing /tmp clash over temp tables.
  const tmp = path.join(dir, "tmp");
  mkdirSync(tmp);
  const copied = await run("cp", ["-a", made.dataDir, dataDir]);
  if (copied.code !== 0) throw new Error(`copying the MariaDB data folder failed: ${copied.stderr}`);
  writeFileSync(path.join(dir, "cert.pem"), made.cert);
  writeFileSync(path.join(dir, "key.pem"), made.key, { mode: 0o600 });
  const port = await freePort();
  // In a network namespace (e2e/connector) its 127.0.0.1 is the namespace's own; setup uses the unix socket.
  const [cmd, pre] = opts.netns ? ["ip", ["netns", "exec", opts.netns, "mariadbd"]] : ["mariadbd", []];
  const proc: ChildProcess = spawn(
    cmd,
    [
      ...pre,
      "--no-defaults",
      `--datadir=${dataDir}`,
      `--tmpdir=${tmp}`,
      `--socket=${socket}`,
      `--port=${port}`,
      "--bind-address=127.0.0.1",
      `--pid-file=${path.join(dir, "mariadbd.pid")}`,
      `--log-error=${path.join(dir, "error.log")}`,
      "--skip-name-resolve",
      "--innodb-buffer-pool-size=32M",
      "--innodb-log-file-size=16M",
      "--max-connections=300",
      `--ssl-cert=${path.join(dir, "cert.pem")}`,
      `--ssl-key=${path.join(dir, "key.pem")}`,
      ...asUser,
    ],
    { stdio: "ignore" },
  );
  const admin = async (sql: string, db?: string) => {
    const r = await run("mysql", ["--no-defaults", "-uroot", `--socket=${socket}`, "--batch", "--skip-column-names", ...(db ? [db] : []), "-e", sql]);
    if (r.code !== 0) throw new Error(`mysql (admin): ${r.stderr}`);
    return r.stdout;
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (existsSync(socket) && (await run("mysql", ["--no-defaults", "-uroot", `--socket=${socket}`, "-e", "select 1"])).code === 0) break;
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`mariadbd did not start (see ${dir}/error.log)`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const password = "app-secret";
  await admin(`create user 'app'@'%' identified by '${password}'; grant all on *.* to 'app'@'%'; create database shop;`);
  const version = (await admin("select version()")).trim();
  return {
    port,
    socket,
    version,
    user: "app",
    password,
    admin,
    url: (db) => `mysql://app:${password}@127.0.0.1:${port}${db ? `/${db}` : ""}`,
    async stop() {
      proc.kill("SIGTERM");
      const until = Date.now() + 15_000;
      while (proc.exitCode === null && proc.signalCode === null && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
