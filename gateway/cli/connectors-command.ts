import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { Db } from "../../drizzle/client";
import { addConnector, issueConnectorToken, listConnectors, removeConnector, revokeConnectorTokens, routeConnection } from "../../core/connectors/manage-connectors";
import { parseTtl } from "../../core/identity/manage-keys";
import { runConnector } from "../connector/connector-process";
import type { ConnectorCredentials } from "../connector/pg-login";
import { cliActor } from "./cli-actor";
import { UsageError } from "./usage-error";
import type { CliIo } from "./run-cli";

export const CONNECTORS_USAGE = `  connectors add <name>                                a connector: reaches targets in a network the gateway cannot dial
  connectors token <name> [--ttl 30d]                  print one new connector token, alone on stdout
  connectors revoke <name>                             revoke its tokens; its links drop at once
  connectors list [--json] / connectors remove <name>  state, links, tokens, connections routed through each
  connections route <connection> --via <connector>     reach a connection's target through a connector
                                                       (connections add ... --via <connector> does it at once)
  connections route <connection> --direct              back to the gateway dialling it
  connector --gateway wss://gw:18888/connector [--gateway ...] [--ca gw.pem] [--allow host:port,...]
        [--credentials creds.json]  run a connector (token in GATEHOUSE_CONNECTOR_TOKEN, or --token);
        creds.json: {"<connection>": {"password": "...", "target": "host:port"}}: Postgres targets it logs in to itself`;

/** The connector's own credentials file: connection name -> { password, target }. */
function readCredentials(file: string): ConnectorCredentials {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new UsageError(`--credentials ${file}: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new UsageError(`--credentials ${file}: a JSON object of connection name to { "password": "...", "target": "host:port" }`);
  const out: ConnectorCredentials = {};
  for (const [name, v] of Object.entries(parsed as Record<string, unknown>)) {
    const { password, target } = (v ?? {}) as { password?: unknown; target?: unknown };
    if (typeof password !== "string") throw new UsageError(`--credentials ${file}: "${name}" needs a "password" string`);
    if (typeof target !== "string" || !/^.+:\d+$/.test(target)) throw new UsageError(`--credentials ${file}: "${name}" needs "target": "host:port", the only target its password is given to`);
    out[name] = { password, target };
  }
  return out;
}

type Out = (line: string) => void;

export async function runConnectorsCommand(db: Db, sub: string | undefined, args: string[], o: { json?: boolean; ttl?: string }, io: Pick<CliIo, "err">, out: Out): Promise<void> {
  const name = args[0];
  if (sub === "list") {
    const all = await listConnectors(db);
    if (!o.json && !all.length) return out("no connectors: add one with gatehouse connectors add <name>");
    for (const c of all)
      out(
        o.json
          ? JSON.stringify(c)
          : `${c.name}\t${c.state}\t${c.links.length} link(s)${c.version ? `\tversion ${c.version}` : ""}\tlast seen ${c.lastSeenAt ?? "never"}\t${c.connections.join(",") || "no connections"}`,
      );
    return;
  }
  if (!name) throw new UsageError(`connectors ${sub ?? ""} needs a connector name`);
  switch (sub) {
    case "add": {
      const r = await addConnector(db, name, cliActor());
      return out(r.created ? `added connector ${name}; issue its token with gatehouse connectors token ${name}` : `connector ${name} exists`);
    }
    case "token": {
      const r = await issueConnectorToken(db, name, o.ttl ? parseTtl(o.ttl) : undefined);
      io.err(`token for connector ${name}${r.expiresAt ? `, valid until ${r.expiresAt.toISOString()}` : ""} (shown once):\n`);
      return out(r.token);
    }
    case "revoke": {
      const r = await revokeConnectorTokens(db, name);
      return out(`revoked ${r.revoked} token(s) of connector ${name}; its links are being dropped`);
    }
    case "remove":
      await removeConnector(db, name);
      return out(`removed connector ${name}`);
    default:
      throw new UsageError(`unknown command "connectors ${sub ?? ""}"`);
  }
}

export async function routeConnectionCommand(db: Db, connection: string | undefined, o: { via?: string; direct?: boolean }, out: Out): Promise<void> {
  if (!connection || Boolean(o.via) === Boolean(o.direct)) throw new UsageError("connections route needs <connection> and one of --via <connector> or --direct");
  await routeConnection(db, connection, o.via ?? null);
  out(o.via ? `${connection} is reached through connector ${o.via}` : `${connection} is dialled by the gateway itself`);
}

/** `gatehouse connector ...`: runs until SIGINT/SIGTERM; needs no database, only the gateway and its token. */
export async function runConnectorProcess(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { gateway: { type: "string", multiple: true }, token: { type: "string" }, ca: { type: "string" }, allow: { type: "string" }, credentials: { type: "string" } },
  });
  const gateways = values.gateway ?? (io.env.GATEHOUSE_CONNECTOR_GATEWAY ? io.env.GATEHOUSE_CONNECTOR_GATEWAY.split(",") : []);
  const token = values.token ?? io.env.GATEHOUSE_CONNECTOR_TOKEN;
  if (!gateways.length) throw new UsageError("connector needs --gateway wss://<gateway>:18888/connector (or GATEHOUSE_CONNECTOR_GATEWAY)");
  if (!token) throw new UsageError("connector needs its token: GATEHOUSE_CONNECTOR_TOKEN (or --token; visible to other users in ps)");
  for (const g of gateways) if (!/^wss?:\/\//.test(g)) throw new UsageError(`--gateway ${g}: a ws:// or wss:// address such as wss://gateway:18888/connector`);
  const ca = values.ca ?? io.env.GATEHOUSE_CONNECTOR_CA;
  const allow = (values.allow ?? io.env.GATEHOUSE_CONNECTOR_ALLOW ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const credentialsFile = values.credentials ?? io.env.GATEHOUSE_CONNECTOR_CREDENTIALS;
  const credentials = credentialsFile ? readCredentials(credentialsFile) : {};
  const log = (line: string) => io.err(`${new Date().toISOString()} connector: ${line}\n`);
  if (gateways.some((g) => g.startsWith("ws://"))) log("warning: a ws:// gateway address sends the token and the target traffic unencrypted; use wss://");
  const running = await runConnector({ gateways, token, ca: ca ? readFileSync(ca, "utf8") : undefined, allow, credentials, version: io.env.npm_package_version ?? "0.1.0", log });
  if (credentialsFile) log(`holds the credentials of ${Object.keys(credentials).length} connection(s): ${Object.keys(credentials).join(", ") || "none"}`);
  log(`dialling ${gateways.join(", ")}${allow.length ? `; targets allowed: ${allow.join(", ")}` : "; any target the gateway names (set --allow to narrow)"}`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await running.close();
  return 0;
}
