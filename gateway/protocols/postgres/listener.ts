import net from "node:net";
import type tls from "node:tls";
import { randomUUID } from "node:crypto";
import type { Duplex } from "node:stream";
import type { GatewayDeps } from "../../gateway-deps";
import { authenticate } from "../../../core/identity/authenticate";
import { AuthError, AuthUnavailableError, type Identity } from "../../../core/identity/identity";
import { resolveConnection } from "../../../core/access/resolve-connection";
import { statementEvents } from "../../../core/audit/statement-events";
import type { SessionContext } from "../../../core/audit/audit-event";
import { clientHandshake } from "./client-handshake";
import { connectTarget } from "./target-connector";
import { CancelRegistry } from "./cancel-registry";
import { PgError } from "./pg-error";
import { Frontend, SqlState } from "./message-codes";
import { authenticationOk, backendKeyData, readyForQuery } from "./backend-messages";
import { StatementTracker } from "./statement-tracker";
import { PgRelay } from "./relay";
import { pgTargetOf } from "./pg-target";
import { StatementGuard, frontendGuard } from "./statement-guard";
import { postgresReviewer } from "./review-hold";
import { ResultMasker } from "./result-masker";
import { maskingGuard } from "./masking-guard";
import type { FrontendGuard } from "./relay";
import { auditTextMask } from "../../../core/masking/audit-text-mask";

export type PgListener = { server: net.Server; port: number; close: () => Promise<void> };

/** The PostgreSQL listener: database name = connection name, password = token (see DESIGN.md). */
export async function startPgListener(deps: GatewayDeps, secureContext: tls.SecureContext): Promise<PgListener> {
  const cancels = new CancelRegistry();
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on("error", () => {});
    handleClient(socket, deps, secureContext, cancels).catch((err) => {
      deps.log(`postgres: unexpected error: ${(err as Error).stack ?? err}`);
      socket.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(deps.config.ports.pg, deps.config.bind, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    server,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function refuse(socket: Duplex, err: PgError): void {
  if (socket.writable) socket.end(err.toMessage());
  setTimeout(() => socket.destroy(), 1000).unref();
}

async function handleClient(raw: net.Socket, deps: GatewayDeps, secureContext: tls.SecureContext, cancels: CancelRegistry): Promise<void> {
  const clientAddr = raw.remoteAddress ?? null;
  let hs;
  try {
    hs = await clientHandshake(raw, { secureContext, requireTls: deps.config.tls.required });
  } catch (err) {
    if (err instanceof PgError) refuse(raw, err);
    else raw.destroy();
    return;
  }
  if (hs.kind === "cancel") {
    await cancels.cancel(hs.pid, hs.secret).catch(() => {});
    raw.destroy();
    return;
  }
  const { socket, params } = hs;
  const connectionName = params.database || params.user;
  const denied = (identity: Identity | null, message: string, failure = false) =>
    deps.audit.write({
      at: new Date(), action: failure ? "session.failed" : "session.denied", outcome: failure ? "error" : "denied", protocol: "postgres", clientAddr, connectionName,
      identityId: identity?.id ?? null, identityName: identity?.name ?? null, groups: identity?.groups ?? null, message,
    });

  let identity: Identity;
  const authenticatedAt = Date.now();
  try {
    identity = await authenticate(hs.password, deps);
  } catch (err) {
    const message = err instanceof AuthError ? err.message : "the token could not be checked";
    if (!(err instanceof AuthError)) deps.log(`postgres: authentication error: ${(err as Error).message}`);
    denied(null, message);
    // A provider outage is not the client's fault: 57P03 tells drivers to retry rather than to change credentials.
    const code = err instanceof AuthUnavailableError ? SqlState.CannotConnectNow : SqlState.InvalidPassword;
    return refuse(socket, new PgError("FATAL", code, `Gatehouse authentication failed: ${message}`));
  }

  // Fail closed: a connection whose policy cannot be read is not served.
  const connection = await resolveConnection(deps.db, deps.box, identity, connectionName)
    .then(async (c) => (c && (await deps.policies.ensure(c.id), await deps.masking.ensure(c.id)), c))
    .catch((err) => {
      deps.log(`postgres: could not resolve connection: ${(err as Error).message}`);
      return undefined;
    });
  if (connection === undefined) return refuse(socket, new PgError("FATAL", SqlState.CannotConnectNow, "the gateway cannot read its configuration right now; try again shortly"));
  if (!connection || connection.type !== "postgres") {
    const message = `connection "${connectionName}" does not exist or you are not allowed to use it`;
    denied(identity, message);
    return refuse(socket, new PgError("FATAL", SqlState.InvalidAuthorization, message, undefined, "Ask an admin to grant one of your groups access to it."));
  }

  const target = pgTargetOf(connection);
  let targetSession;
  try {
    targetSession = await connectTarget(target, params, connection.name);
  } catch (err) {
    const pgErr = err instanceof PgError ? err : new PgError("FATAL", SqlState.ConnectionFailure, `connection "${connection.name}" is unavailable`);
    denied(identity, pgErr.message, true);
    return refuse(socket, pgErr);
  }

  const sessionId = randomUUID();
  const ctx: SessionContext = { sessionId, identityId: identity.id, identityName: identity.name, groups: identity.groups, connectionName: connection.name, protocol: "postgres", clientAddr };
  try {
    await deps.sessions.open({
      id: sessionId, identityId: identity.id, identityName: identity.name, groups: identity.groups, connectionId: connection.id, connectionName: connection.name,
      protocol: "postgres", clientAddr, clientApp: params.application_name ?? null, clientUser: params.user ?? null, gatewayInstance: deps.config.instance,
    });
  } catch (err) {
    // No session record, no session: the gateway never relays what it cannot attribute.
    deps.log(`postgres: could not record session: ${(err as Error).message}`);
    targetSession.socket.destroy();
    return refuse(socket, new PgError("FATAL", SqlState.CannotConnectNow, "the gateway cannot record sessions right now; try again shortly"));
  }

  const cancelKey = cancels.register({ target, connectionName: connection.name, pid: targetSession.backendPid, secret: targetSession.backendSecret });
  socket.write(Buffer.concat([authenticationOk(), ...targetSession.parameterStatuses, backendKeyData(cancelKey.pid, cancelKey.secret), readyForQuery(targetSession.status)]));

  if (hs.leftover.length) socket.unshift(hs.leftover);
  const masking = deps.masking.forSession(connection.id, identity.groups);
  const maskingKey = deps.masking.keyFor(connection.id);
  const tracker = new StatementTracker((record) => deps.audit.write(() => statementEvents(ctx, record, deps.analyzer, auditTextMask(masking(), maskingKey))));
  const guard = new StatementGuard(() => deps.policies.current(connection.id), { name: identity.name, groups: identity.groups }, deps.analyzer);
  const results = new ResultMasker(masking, maskingKey, deps.pgCatalogs.for(connection.id, target), deps.analyzer, tracker, deps.log);
  const policyGuard = frontendGuard(guard, postgresReviewer(deps, ctx, target));
  const masked = maskingGuard(masking, deps.analyzer);
  // What masking refuses is refused before any policy is consulted (no review is worth holding it for).
  const guards: FrontendGuard = (type, text, buf, start, end) => masked(type, text, buf, start, end) ?? (type === Frontend.Bind ? null : policyGuard(type, text, buf, start, end));
  const relay = new PgRelay(socket, targetSession.socket, tracker, deps.config.maxMessageBytes, guards, results);
  // The session ends when the credential does, or when the time-bound access it relies on does.
  const accessEndsFirst = connection.temporaryAccessUntil !== undefined && (identity.expiresAt === undefined || connection.temporaryAccessUntil < identity.expiresAt);
  const untrack = deps.live.add(
    {
      id: sessionId, identityId: identity.id, keyId: identity.keyId, temporaryAccessTo: connection.temporaryAccessUntil !== undefined ? connection.id : undefined,
      kill: (reason) => relay.kill(new PgError("FATAL", SqlState.AdminShutdown, `terminating connection: ${reason}`)),
    },
    accessEndsFirst ? connection.temporaryAccessUntil : identity.expiresAt,
    authenticatedAt,
    accessEndsFirst ? `the time-bound access to ${connection.name} has ended` : undefined,
  );
  deps.audit.write({ ...ctx, at: new Date(), action: "session.start", outcome: "ok", message: params.application_name ? `application ${params.application_name}` : null });

  const end = await relay.done;
  untrack();
  cancelKey.release();
  deps.audit.write({ ...ctx, at: new Date(), action: "session.end", outcome: end.failed ? "error" : "ok", message: end.reason });
  await deps.sessions.close(sessionId, end).catch((err) => deps.log(`postgres: could not close session ${sessionId}: ${(err as Error).message}`));
}
