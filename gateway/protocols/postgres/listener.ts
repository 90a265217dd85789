import net from "node:net";
import type tls from "node:tls";
import type { Duplex } from "node:stream";
import type { GatewayDeps } from "../../gateway-deps";
import { publish, type Bus } from "../../../core/bus/event-bus";
import { admit, auditRefusal, type Refusal } from "../../pipeline/admit";
import { openSession, SessionUnrecordedError, type SessionScope } from "../../pipeline/session-scope";
import { servedBy } from "../../../core/connections/registry";
import { statementEvents } from "./statement-events";
import { clientHandshake } from "./client-handshake";
import { connectTarget } from "./target-connector";
import { CancelRegistry } from "./cancel-registry";
import { PgError } from "./pg-error";
import { Frontend, SqlState } from "./message-codes";
import { authenticationOk, backendKeyData, parameterStatus, readyForQuery } from "./backend-messages";
import { StatementTracker } from "./statement-tracker";
import { PgRelay } from "./relay";
import { pgTargetOf } from "./pg-target";
import { connectionTypeOf } from "../../../core/connections/registry";
import { StatementGuard, frontendGuard } from "./statement-guard";
import { startupSearchPath } from "../../../core/policy/search-path";
import { holdNotice, postgresReviewer } from "./review-hold";
import { ResultMasker } from "./result-masker";
import { maskingGuard } from "./masking-guard";
import { thenJudge, type FrontendGuard } from "./guard-types";
import { TextReading } from "./text-reading";
import { refusedParse, refusedQuery } from "./stand-in-messages";
import type { TargetCatalogs } from "./column-catalog";
import { BudgetFilter, postgresBudgetHooks } from "./budget-filter";
import { poolKeyOf, TargetPool, terminate } from "./target-pool";
import { backendSignalRefusal } from "./backend-signals";

export type PgListener = { server: net.Server; port: number; listening: () => boolean; close: () => Promise<void> };

const noRefusal = () => null;

/** The PostgreSQL listener: database name = connection name, password = token (see DESIGN.md). */
export async function startPgListener(deps: GatewayDeps, secureContext: tls.SecureContext, catalogs: TargetCatalogs, bus?: Bus): Promise<PgListener> {
  const cancels = new CancelRegistry();
  const pool = new TargetPool(deps.config.pgPool, (m) => deps.log(m, "warn"));
  if (bus) {
    cancels.shareWith(
      bus,
      (payload) => publish(deps.db, "postgres.cancel", payload),
      deps.config.instance,
      (m) => deps.log(m, "warn"),
    );
    // An edited or deleted connection, or changed grants on it: its waiting backends go (new clients are admitted afresh anyway).
    bus.on("grants.changed", ({ connectionId }) => connectionId && pool.dropConnection(connectionId));
  }
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on("error", () => {});
    handleClient(socket, deps, secureContext, cancels, catalogs, pool).catch((err) => {
      deps.log(`postgres: unexpected error: ${(err as Error).stack ?? err}`, "error");
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
    listening: () => server.listening,
    close: () =>
      new Promise<void>((resolve) => {
        pool.close();
        server.close(() => resolve());
      }),
  };
}

const UNRESETTABLE = /\bload\b|dblink|_fdw|\bforeign\b/i;

function refuse(socket: Duplex, err: PgError): void {
  if (socket.writable) socket.end(err.toMessage());
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** The pipeline's refusals as Postgres renders them. */
export function refusalError(r: Refusal): PgError {
  switch (r.reason) {
    case "unauthenticated":
      return new PgError("FATAL", SqlState.InvalidPassword, `Gatehouse authentication failed: ${r.message}`);
    // A provider outage is not the client's fault: 57P03 tells drivers to retry rather than to change credentials.
    case "auth-unavailable":
      return new PgError("FATAL", SqlState.CannotConnectNow, `Gatehouse authentication failed: ${r.message}`);
    case "forbidden":
      return new PgError("FATAL", SqlState.InvalidAuthorization, r.message, undefined, r.hint);
    case "unavailable":
      return new PgError("FATAL", SqlState.CannotConnectNow, r.message, undefined, r.hint);
  }
}

async function handleClient(raw: net.Socket, deps: GatewayDeps, secureContext: tls.SecureContext, cancels: CancelRegistry, catalogs: TargetCatalogs, pool: TargetPool): Promise<void> {
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
  const admitted = await admit(deps, { protocol: "postgres", clientAddr, connectionName, credential: hs.password, serves: servedBy("postgres") });
  if (!admitted.ok) return refuse(socket, refusalError(admitted.refusal));
  const { identity, connection } = admitted.admission;

  const target = pgTargetOf(connection, deps.connectors.dialerFor(connection));
  // A backend another client of the same connection and credentials left clean skips the target's start-up and login.
  // Not through a connector: a pooled stream would pin the link it rides on (each new stream takes the least busy
  // link), and a connector that logs in itself can change its credentials file without the gateway knowing.
  const pooled = pool.enabled && !connection.connector;
  const poolKey = pooled ? poolKeyOf(connection, target, params) : undefined;
  let targetSession = poolKey && pool.acquire(poolKey);
  try {
    targetSession ??= await connectTarget(target, params, connection.name);
  } catch (err) {
    const pgErr = err instanceof PgError ? err : new PgError("FATAL", SqlState.ConnectionFailure, `connection "${connection.name}" is unavailable`);
    auditRefusal(deps, { protocol: "postgres", clientAddr, connectionName }, identity, pgErr.message, true);
    return refuse(socket, pgErr);
  }

  let relay: PgRelay | undefined;
  let killedEarly: string | undefined;
  let session: SessionScope;
  try {
    session = await openSession(deps, admitted.admission, {
      protocol: "postgres",
      clientAddr,
      clientApp: params.application_name ?? null,
      clientUser: params.user ?? null,
      countsResults: true,
      start: { message: params.application_name ? `application ${params.application_name}` : null },
      kill: (reason) => {
        const error = new PgError("FATAL", SqlState.AdminShutdown, `terminating connection: ${reason}`);
        if (relay) relay.kill(error);
        else killedEarly = reason;
      },
    });
  } catch (err) {
    // No session record, no session: the gateway never relays what it cannot attribute.
    targetSession.socket.destroy();
    const message = err instanceof SessionUnrecordedError ? err.message : "the gateway could not open this session; try again shortly";
    return refuse(socket, new PgError("FATAL", SqlState.CannotConnectNow, message));
  }
  const ctx = session.ctx;

  const holder = identity.id ?? identity.name;
  const cancelKey = cancels.register({ target, connectionName: connection.name, pid: targetSession.backendPid, secret: targetSession.backendSecret, holder });
  const statuses = [...targetSession.parameters].map(([name, value]) => parameterStatus(name, value));
  socket.write(Buffer.concat([authenticationOk(), ...statuses, backendKeyData(cancelKey.pid, cancelKey.secret), readyForQuery(targetSession.status)]));

  if (hs.leftover.length) socket.unshift(hs.leftover);
  const masking = deps.masking.forSession(connection.id, identity.groups);
  const maskingKey = deps.masking.keyFor(connection.id);
  let results: ResultMasker | undefined;
  const tracker = new StatementTracker((record) => deps.audit.write(() => statementEvents(ctx, record, deps.analyzer, session.textMask(), results?.maskedOf(record))));
  const catalog = catalogs.for(connection.id, target);
  results = new ResultMasker(masking, maskingKey, catalog, deps.analyzer, tracker, deps.log);
  const guard = new StatementGuard(
    () => deps.policies.current(connection.id),
    { name: identity.name, groups: identity.groups },
    deps.analyzer,
    {
      user: target.user,
      searchPath: startupSearchPath(params, target.user),
    },
    catalog,
  );
  const policyGuard = frontendGuard(guard, postgresReviewer(deps, ctx, target), holdNotice);
  const masked = maskingGuard(masking, deps.analyzer, tracker, catalog);
  // What masking refuses is refused before any policy is consulted (no review is worth holding it for).
  // A statement that may leave state DISCARD ALL does not reset (a loaded library, dblink's or an FDW's connections) keeps its backend out of the pool.
  let resettable = pooled;
  const reading = new TextReading(targetSession.parameters);
  const ownBackend = (pid: number) => cancels.heldBy(pid, connection.name, holder);
  // A text that calls functions of the target owner's waits for their definitions, then the policy judges it with what they run.
  const judgedWithRoutines: FrontendGuard = (type, text, buf, start, end) => {
    const loaded = type === Frontend.Query || type === Frontend.Parse ? guard.routinesLoaded(text) : undefined;
    if (!loaded) return policyGuard(type, text, buf, start, end);
    const message = Buffer.from(buf.subarray(start, end));
    const loading = { hold: { start: () => loaded.then(noRefusal), cancel: () => {}, withdraw: () => {} } };
    return thenJudge(loading, () => policyGuard(type, text, message, 0, message.length));
  };
  const guards: FrontendGuard = (type, text, buf, start, end) => {
    if (resettable && UNRESETTABLE.test(text)) resettable = false;
    const sql = type === Frontend.Query || type === Frontend.Parse;
    if (sql && (guard.active || masking() !== null)) {
      const unreadable = reading.refusal(buf, start, end, text);
      if (unreadable) return { refusal: { kind: "UNPARSEABLE", error: unreadable }, replacement: type === Frontend.Query ? refusedQuery() : refusedParse(buf, start, end) };
    }
    const signal = sql ? backendSignalRefusal(text, ownBackend) : null;
    if (signal) return { refusal: signal, replacement: type === Frontend.Query ? refusedQuery() : refusedParse(buf, start, end) };
    const maskingVerdict = masked(type, text, buf, start, end);
    if (maskingVerdict && "hold" in maskingVerdict) {
      // Held for a catalog read (views it writes through): the policy judges the same message once it passes.
      const message = Buffer.from(buf.subarray(start, end));
      return thenJudge(maskingVerdict, () => (type === Frontend.Bind ? null : judgedWithRoutines(type, text, message, 0, message.length)));
    }
    return maskingVerdict ?? (type === Frontend.Bind ? null : judgedWithRoutines(type, text, buf, start, end));
  };
  const idleSessionMs = (connectionTypeOf("postgres").parseSettings(connection).idleTimeoutSeconds ?? 0) * 1000;
  const reuse = pooled ? { parameters: new Map(targetSession.parameters), status: targetSession.status } : undefined;
  const limits = { messageTimeoutMs: deps.config.messageTimeoutMs, buffers: deps.buffers.account(), idleSessionMs, reuse };
  const budget = session.budget;
  const budgeted = budget && new BudgetFilter(results, budget, tracker, postgresBudgetHooks(deps, session, cancelKey.cancelTarget, socket));
  relay = new PgRelay(socket, targetSession.socket, tracker, deps.config.maxMessageBytes, guards, reading.watching(budgeted ?? results), () => deps.audit.syncPending(), limits);
  cancelKey.onCancel(() => relay.cancelHeld() || (budgeted?.withdraw() ?? false));
  if (killedEarly !== undefined) relay.kill(new PgError("FATAL", SqlState.AdminShutdown, `terminating connection: ${killedEarly}`));

  const end = await relay.done;
  budgeted?.cancel(end.reason);
  cancelKey.release();
  if (end.target) {
    // A cancel still on its way could stop the next client's statement: such a backend is not reused.
    if (resettable && !cancelKey.cancelSent())
      pool
        .release(poolKey!, { ...targetSession, socket: end.target, parameters: reuse!.parameters })
        .catch((err: Error) => deps.log(`postgres: could not pool a target backend: ${err.message}`, "warn"));
    else terminate(end.target);
  }
  await session.end(end);
}
