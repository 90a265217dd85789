import "server-only";
import { eq, isNotNull } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { connections, connectorTokens } from "../../drizzle/schema/index";
import { addConnector, ConnectorError, issueConnectorToken, listConnectors, removeConnector, revokeConnectorTokens, type ConnectorView } from "../../core/connectors/manage-connectors";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";

/** Every connector as core lists it, its routed connections with their ids (admins open them from the card). */
export async function connectorsOverview(db: Db) {
  const [all, routed] = await Promise.all([listConnectors(db), db.select({ id: connections.id, name: connections.name }).from(connections).where(isNotNull(connections.connectorId))]);
  const ids = new Map(routed.map((c) => [c.name, c.id]));
  return all.map((c) => ({ ...c, connections: c.connections.map((name) => ({ name, id: ids.get(name) ?? null })) }));
}

/** What the audit log keeps of a connector: never a token, only the prefixes and their states (under a name the redactor leaves readable). */
function auditView(c: ConnectorView | undefined) {
  if (!c) return undefined;
  return { name: c.name, state: c.state, connections: c.connections, issued: c.tokens };
}

const findConnector = async (db: Db, name: string) => (await listConnectors(db)).find((c) => c.name === name);

/** Core's refusals (ConnectorError) carry messages for people: they reach the page as they are. */
async function asAppError<T>(work: Promise<T>, code: "INVALID_INPUT" | "CONFLICT", field?: string): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof ConnectorError) throw new AppError(code, err.message, field ? { [field]: err.message } : undefined);
    throw err;
  }
}

export async function addConnectorFromConsole(db: Db, user: ConsoleUserContext, name: string) {
  const { created } = await asAppError(addConnector(db, name, user.email), "INVALID_INPUT", "name");
  if (!created) throw new AppError("CONFLICT", `a connector named ${name} already exists`, { name: "another connector has this name" });
  await recordConsoleEvent(db, {
    action: "console.connector.add",
    outcome: "ok",
    actor: user.email,
    actorIdentityId: user.identityId,
    target: name,
    message: `connector ${name} added`,
    after: { name },
  });
  return { name };
}

/** One new token, returned once to be shown once; only its prefix reaches the audit log. */
export async function issueConnectorTokenFromConsole(db: Db, user: ConsoleUserContext, name: string, ttlSeconds?: number) {
  const issued = await asAppError(issueConnectorToken(db, name, ttlSeconds ? ttlSeconds * 1000 : undefined), "INVALID_INPUT");
  const [row] = await db.select({ prefix: connectorTokens.prefix }).from(connectorTokens).where(eq(connectorTokens.id, issued.tokenId));
  await recordConsoleEvent(db, {
    action: "console.connector.token_issue",
    outcome: "ok",
    actor: user.email,
    actorIdentityId: user.identityId,
    target: name,
    message: `connector token ${row.prefix}… issued for ${name}${issued.expiresAt ? `, valid until ${issued.expiresAt.toISOString()}` : ", no expiry"}`,
    after: { connector: name, prefix: row.prefix, expiresAt: issued.expiresAt },
  });
  return { token: issued.token, prefix: row.prefix, expiresAt: issued.expiresAt };
}

/** Revokes every live token of the connector; every gateway drops its links (same path as `connectors revoke`). */
export async function revokeConnectorTokensFromConsole(db: Db, user: ConsoleUserContext, name: string) {
  const before = await findConnector(db, name);
  const r = await asAppError(revokeConnectorTokens(db, name), "INVALID_INPUT");
  await recordConsoleEvent(db, {
    action: "console.connector.revoke",
    outcome: "ok",
    actor: user.email,
    actorIdentityId: user.identityId,
    target: name,
    message: `${r.revoked} token(s) of connector ${name} revoked; its links are dropped`,
    before: auditView(before),
    after: auditView(await findConnector(db, name)),
  });
  return r;
}

/** Removes a connector no connection routes through; refused, with core's message, while some do. */
export async function removeConnectorFromConsole(db: Db, user: ConsoleUserContext, name: string) {
  const before = await findConnector(db, name);
  await asAppError(removeConnector(db, name), "CONFLICT");
  await recordConsoleEvent(db, {
    action: "console.connector.remove",
    outcome: "ok",
    actor: user.email,
    actorIdentityId: user.identityId,
    target: name,
    message: `connector ${name} removed`,
    before: auditView(before),
  });
  return { name };
}
