import path from "node:path";
import type { GatewayConfig } from "../../gateway/config";
import type { FirstAdmin } from "./first-admin";

export type BannerFacts = {
  config: GatewayConfig;
  /** The console's address, or undefined when it is off. */
  consoleUrl?: string;
  /** The gateway's postgres listener as it logged it, host:port. */
  gateway: string;
  firstAdmin?: FirstAdmin;
};

/** What is running where, and what a person does next. Never prints a credential. */
export function printBanner({ config, consoleUrl, gateway, firstAdmin }: BannerFacts): void {
  const port = gateway.slice(gateway.lastIndexOf(":") + 1);
  const bound = gateway.slice(0, gateway.lastIndexOf(":"));
  const host = bound === "0.0.0.0" || bound === "::" || bound === "[::]" ? "127.0.0.1" : bound;
  const embedded = !process.env.DATABASE_URL;
  const cliEnv = embedded ? (path.resolve(".gatehouse") === config.dataDir ? "" : `GATEHOUSE_DATA_DIR=${config.dataDir} `) : "DATABASE_URL=... ";
  const cli = `${cliEnv}npx gatehouse`;
  console.log(`
Gatehouse is running.
  console    ${consoleUrl ?? "off (GATEHOUSE_CONSOLE=off)"}${consoleUrl ? `\n             ${signInHint(firstAdmin, cli)}` : ""}
  postgres   ${gateway}   clients connect here: database name = connection name, password = a Gatehouse key
  mysql      ${listener(bound, config.ports.mysql)}   mysql -h ${host} -P ${config.ports.mysql || "<port>"} -u <connection> -p: user name = connection name, password = a Gatehouse key
  ssh        ${listener(bound, config.ports.ssh)}   ssh -p ${config.ports.ssh || "<port>"} <connection>@${host}: user name = connection name, password = a Gatehouse key
  http       ${listener(bound, config.ports.http)}   HTTP APIs at /proxy/<connection>/..., Kubernetes at /k8s/<connection> (TLS), MCP at /mcp, the Terminal (WebSocket)
  database   ${embedded ? `embedded, in ${path.join(config.dataDir, "pgdata")}` : `${describeUrl(process.env.DATABASE_URL!)} (DATABASE_URL)`}

Next steps, from this folder in another terminal:
  1. add a database to guard:  ${cli} connections add pg-prod --type postgres --url postgres://user:password@host:5432/db
  2. let a group use it:       ${cli} grant analysts pg-prod
  3. issue a key for an agent: KEY=$(${cli} keys issue agent-7 --groups analysts --ttl 1h)
  4. connect through Gatehouse: PGPASSWORD=$KEY psql "host=${host} port=${port} dbname=pg-prod user=agent-7 sslmode=require"
  then see what it did:        ${cli} audit list --json
Stop with Ctrl-C.
`);
}

const listener = (bound: string, port: number) => (port ? `${bound}:${port}` : `${bound}:<a free port, see the gateway log>`);

/** How a person signs in; a generated password is printed this once and never stored in clear. */
function signInHint(admin: FirstAdmin | undefined, cli: string): string {
  if (admin?.kind === "generated") return `sign in as ${admin.email} with password ${admin.password} (shown once; reset with ${cli} users add ${admin.email} --role admin)`;
  if (admin?.kind === "from-environment") return `sign in as ${admin.email} (GATEHOUSE_ADMIN_EMAIL)`;
  return `sign in with your console account (add one: ${cli} users add you@example.com --role admin)`;
}

/** Host, port and database of a URL, without its user or password. */
function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    const host = u.searchParams.get("host") ?? u.hostname; // a `host` parameter (a socket folder) wins, as in libpq
    return `${host}${u.port ? `:${u.port}` : ""}${u.pathname}`;
  } catch {
    return "a PostgreSQL server";
  }
}
