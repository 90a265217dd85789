import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { connections, connectors, connectorTokens } from "../../drizzle/schema/index";
import { publish } from "../bus/event-bus";

const TOKEN_PREFIX = "ghc_";
/** Connector names follow the connection name rule (they appear in URLs, flags and logs). */
export const CONNECTOR_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;
/** A link is shown as connected while its heartbeat is younger than this. */
export const LINK_FRESH_SECONDS = 45;

export class ConnectorError extends Error {}

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");
export const looksLikeConnectorToken = (t: string) => t.startsWith(TOKEN_PREFIX) && t.length === TOKEN_PREFIX.length + 43;

/** The id of the connector named `name`, or a ConnectorError saying how to add it. */
export async function connectorIdOf(db: Db, name: string): Promise<string> {
  const [row] = await db.select({ id: connectors.id }).from(connectors).where(eq(connectors.name, name));
  if (!row) throw new ConnectorError(`no connector named "${name}" (gatehouse connectors add ${name})`);
  return row.id;
}

/** Creates a connector (a name connections can route through); does nothing if it exists. */
export async function addConnector(db: Db, name: string, by: string): Promise<{ created: boolean }> {
  if (!CONNECTOR_NAME.test(name)) throw new ConnectorError("a connector name is 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit");
  const made = await db.insert(connectors).values({ name, createdBy: by }).onConflictDoNothing().returning({ id: connectors.id });
  return { created: made.length > 0 };
}

/** One new token for the connector (shown once, stored hashed). Several processes may each hold one. */
export async function issueConnectorToken(db: Db, name: string, ttlMs?: number): Promise<{ token: string; tokenId: string; expiresAt: Date | null }> {
  const id = await connectorIdOf(db, name);
  const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
  const expiresAt = ttlMs ? new Date(Date.now() + ttlMs) : null;
  const [row] = await db
    .insert(connectorTokens)
    .values({ connectorId: id, prefix: token.slice(0, 12), hash: hashToken(token), expiresAt })
    .returning({ id: connectorTokens.id });
  return { token, tokenId: row.id, expiresAt };
}

/** Revokes every live token of the connector; every gateway instance drops its links at once. */
export async function revokeConnectorTokens(db: Db, name: string): Promise<{ revoked: number }> {
  const id = await connectorIdOf(db, name);
  const revoked = await db
    .update(connectorTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(connectorTokens.connectorId, id), isNull(connectorTokens.revokedAt)))
    .returning({ id: connectorTokens.id });
  await publish(db, "connectors.revoked", { connectorId: id, tokenIds: revoked.map((r) => r.id) });
  return { revoked: revoked.length };
}

/** Removes a connector no connection routes through (its tokens go with it). */
export async function removeConnector(db: Db, name: string): Promise<void> {
  const id = await connectorIdOf(db, name);
  const used = await db.select({ name: connections.name }).from(connections).where(eq(connections.connectorId, id));
  if (used.length) throw new ConnectorError(`connections still route through ${name}: ${used.map((u) => u.name).join(", ")} (route them elsewhere first with connections route)`);
  await publish(db, "connectors.revoked", { connectorId: id });
  await db.delete(connectors).where(eq(connectors.id, id));
}

/** Routes a connection through a connector, or (null) back to the gateway dialling it itself. */
export async function routeConnection(db: Db, connectionName: string, connectorName: string | null): Promise<void> {
  const id = connectorName === null ? null : await connectorIdOf(db, connectorName);
  const [c] = await db.select({ type: connections.type }).from(connections).where(eq(connections.name, connectionName));
  if (c?.type === "mcp" && id !== null) throw new ConnectorError("an MCP server connection cannot be reached through a connector yet (its SDK client dials itself); route it directly");
  const done = await db
    .update(connections)
    .set({ connectorId: id, updatedAt: sql`now()` })
    .where(eq(connections.name, connectionName))
    .returning({ id: connections.id });
  if (!done.length) throw new ConnectorError(`no connection named "${connectionName}"`);
}

export type VerifiedConnector = { connectorId: string; name: string; tokenId: string; expiresAt: number | null };

/** The connector a presented token belongs to, or a ConnectorError saying why not (revoked, expired, unknown). */
export async function verifyConnectorToken(db: Db, token: string): Promise<VerifiedConnector> {
  if (!looksLikeConnectorToken(token)) throw new ConnectorError("not a connector token (they start with ghc_; issue one with gatehouse connectors token <name>)");
  const { rows } = await db.execute<{ id: string; hash: string; connector_id: string; name: string; revoked: boolean; expired: boolean; expires_ms: number | null }>(sql`
    select t.id, t.hash, t.connector_id, c.name, t.revoked_at is not null as revoked, coalesce(t.expires_at <= now(), false) as expired,
      (extract(epoch from t.expires_at) * 1000)::float8 as expires_ms
    from connector_tokens t join connectors c on c.id = t.connector_id where t.hash = ${hashToken(token)}`);
  const row = rows[0];
  if (!row || !timingSafeEqual(Buffer.from(row.hash, "hex"), Buffer.from(hashToken(token), "hex"))) throw new ConnectorError("the connector token is not valid");
  if (row.revoked) throw new ConnectorError("the connector token has been revoked");
  if (row.expired) throw new ConnectorError("the connector token has expired");
  await db
    .update(connectorTokens)
    .set({ lastUsedAt: sql`now()` })
    .where(eq(connectorTokens.id, row.id));
  return { connectorId: row.connector_id, name: row.name, tokenId: row.id, expiresAt: row.expires_ms };
}

export type ConnectorLinkView = {
  instance: string;
  hostname: string;
  version: string;
  remoteAddr: string | null;
  connectedAt: string;
  lastSeenAt: string;
  streamsOpen: number;
  streamsTotal: number;
};
export type ConnectorView = {
  name: string;
  createdAt: string;
  state: "connected" | "disconnected" | "never connected";
  lastSeenAt: string | null;
  version: string | null;
  /** Live links: one per connector process and gateway instance it reaches. */
  links: ConnectorLinkView[];
  connections: string[];
  tokens: { prefix: string; createdAt: string; expiresAt: string | null; revokedAt: string | null; lastUsedAt: string | null }[];
};

/** Every connector with its state, live links, tokens and the connections routed through it. */
export async function listConnectors(db: Db): Promise<ConnectorView[]> {
  const { rows } = await db.execute<{
    name: string;
    created_at: string;
    last_seen_at: string | null;
    version: string | null;
    links: ConnectorLinkView[] | null;
    connections: string[];
    tokens: ConnectorView["tokens"] | null;
  }>(sql`
    select c.name, c.created_at::text,
      (select max(l.last_seen_at)::text from connector_links l where l.connector_id = c.id) as last_seen_at,
      (select l.version from connector_links l where l.connector_id = c.id order by l.last_seen_at desc limit 1) as version,
      (select json_agg(json_build_object('instance', l.instance, 'hostname', l.hostname, 'version', l.version, 'remoteAddr', l.remote_addr,
          'connectedAt', l.connected_at, 'lastSeenAt', l.last_seen_at, 'streamsOpen', l.streams_open, 'streamsTotal', l.streams_total) order by l.connected_at)
        from connector_links l where l.connector_id = c.id and l.disconnected_at is null and l.last_seen_at > now() - make_interval(secs => ${LINK_FRESH_SECONDS})) as links,
      array(select x.name from connections x where x.connector_id = c.id order by x.name) as connections,
      (select json_agg(json_build_object('prefix', t.prefix, 'createdAt', t.created_at, 'expiresAt', t.expires_at, 'revokedAt', t.revoked_at, 'lastUsedAt', t.last_used_at) order by t.created_at)
        from connector_tokens t where t.connector_id = c.id) as tokens
    from connectors c order by c.name`);
  return rows.map((r) => {
    const links = r.links ?? [];
    return {
      name: r.name,
      createdAt: r.created_at,
      state: links.length ? "connected" : r.last_seen_at ? "disconnected" : "never connected",
      lastSeenAt: r.last_seen_at,
      version: r.version,
      links,
      connections: r.connections,
      tokens: r.tokens ?? [],
    };
  });
}
