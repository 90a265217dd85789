import type net from "node:net";
import mysql, { type Connection } from "mysql2/promise";
import { addConnection } from "../../core/connections/add-connection";
import type { Seed } from "./seed";
import type { MariadbServer } from "./mariadb-server";
import { run, type RunResult } from "./run-program";

/** A MySQL connection to the private MariaDB (the `app` account, or `account`), as `connections add --type mysql --url ...` adds it. */
export async function seedMysqlConnection(
  s: Seed,
  name: string,
  server: MariadbServer,
  opts: { db?: string; tls?: string; allowLocalInfile?: boolean; account?: { user: string; password: string } } = {},
): Promise<void> {
  const a = opts.account;
  const url = a ? `mysql://${a.user}:${a.password}@127.0.0.1:${server.port}${opts.db ? `/${opts.db}` : ""}` : server.url(opts.db);
  await addConnection(s.db, s.box, { name, type: "mysql", flags: { url, tls: opts.tls ?? "disable", "allow-local-infile": opts.allowLocalInfile } });
}

/** mysql2 through the gateway: user = connection name, password = key; TLS when asked (the gateway's self-signed certificate). */
export function gatewayConnection(port: number, connection: string, key: string, opts: { database?: string; tls?: boolean; multipleStatements?: boolean } = {}) {
  return mysql.createConnection({
    host: "127.0.0.1",
    port,
    user: connection,
    password: key,
    database: opts.database,
    ssl: opts.tls ? { rejectUnauthorized: false } : undefined,
    multipleStatements: opts.multipleStatements,
    connectTimeout: 10_000,
  });
}

/** The MariaDB `mysql` command line through the gateway (batch mode, asynchronously: the gateway runs in this process). */
export function mysqlCli(port: number, connection: string, key: string, args: string[], opts: { tls?: boolean; input?: string | Buffer } = {}): Promise<RunResult> {
  const tls = opts.tls ? ["--ssl", "--skip-ssl-verify-server-cert"] : ["--skip-ssl"];
  return run("mysql", ["--no-defaults", "-h", "127.0.0.1", "-P", String(port), "-u", connection, `-p${key}`, "--batch", "--connect-timeout=10", ...tls, ...args], { input: opts.input });
}

/** mysql2's socket once it has signed in, to write what no driver would (raw commands, mutated packets). */
export const rawSocketOf = (c: Connection) => (c as unknown as { connection: { stream: net.Socket } }).connection.stream;
