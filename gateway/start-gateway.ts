import { openDb } from "../drizzle/client";
import { runMigrations } from "../drizzle/migrate";
import type { GatewayConfig } from "./config";
import { createSecretBox } from "../core/crypto/secret-box";
import { AuditWriter } from "../core/audit/audit-writer";
import { StatementAnalyzer, loadSqlParser } from "../core/sql/statement-analyzer";
import { createSessionStore, LEFTOVER_REASON } from "../core/sessions/session-store";
import { endLeftoverSessions } from "../core/audit/leftover-sessions";
import { checkpointKey } from "../core/audit/audit-chain";
import { startAuditRetention } from "../core/audit/audit-retention";
import { startAuditSinks } from "../core/audit/sinks/sink-runner";
import { PolicyStore } from "../core/policy/policy-store";
import { MaskingStore } from "../core/masking/masking-store";
import { BudgetMeter } from "./pipeline/budgets";
import { createOidcVerifier } from "../core/identity/oidc";
import { Bus } from "../core/bus/event-bus";
import { startRetention } from "../core/recordings/retention";
import { LiveSessions } from "./pipeline/live-sessions";
import { ReviewCoordinator } from "./pipeline/review-coordinator";
import { BufferBudget } from "./pipeline/message-limits";
import { AuthThrottle } from "./pipeline/auth-throttle";
import { createReviewWebhook } from "./pipeline/review-webhook";
import type { StartedAdapter } from "./pipeline/adapter";
import { HttpRouter } from "./http/router";
import { mountHealthRoutes } from "./http/health-routes";
import { GatewayMetrics } from "./metrics/gateway-metrics";
import { PROTOCOL_ADAPTERS } from "./protocols/index";
import { loadTlsContext } from "./tls";
import type { GatewayDeps } from "./gateway-deps";
import { createLogSink, type Log } from "./log-sink";
import { lockInstance } from "./instance-lock";
import { ConnectorHub } from "./connector/connector-hub";
import type { WorkerLink } from "./workers";

export type RunningGateway = {
  /** Listener ports: `pg`, `ssh` and `http` by their short names, and every adapter's by its name. */
  ports: { pg: number; ssh: number; http: number } & Record<string, number>;
  /** The SSH host key clients see (derived from the secret key: the same on every instance). */
  sshHostKey: string;
  deps: GatewayDeps;
  /** Stops listening, ends live sessions with a message, and writes out every queued audit event. */
  close: () => Promise<void>;
};

/** `worker`: this gateway is one of GATEHOUSE_WORKERS (gateway/workers.ts), and tells the primary when it is ready. */
export async function startGateway(config: GatewayConfig, opts: { migrate?: boolean; log?: Log; worker?: WorkerLink } = {}): Promise<RunningGateway> {
  const log = opts.log ?? createLogSink(config.instance);
  if (opts.migrate !== false) await runMigrations(config.databaseUrl);
  await loadSqlParser();
  const handle = openDb(config.databaseUrl, { max: 10, applicationName: `gatehouse-gateway ${config.instance}` });
  // Before the journal is touched: a second process with this instance id refuses to start here.
  const lock = await lockInstance({ pool: handle.pool, instance: config.instance, journalDir: config.audit.journalDir, log }).catch(async (err: unknown) => {
    await handle.close();
    throw err;
  });
  const journal = { dir: config.audit.journalDir, fsync: config.audit.fsync };
  const metrics = new GatewayMetrics();
  if (opts.worker) metrics.renderWith(opts.worker.metrics(metrics.registry));
  const audit = new AuditWriter(handle.pool, {
    instance: config.instance,
    intervalMs: 100,
    log,
    journal,
    checkpointKey: checkpointKey(config.secretKey),
    observe: (e) => metrics.observeAudit(e),
    shipped: (events) => metrics.auditShipped(events),
  });
  // What an earlier run of this instance journaled but did not store (it was killed): stored now, once.
  const recovered = await audit.recover().catch(async (err: unknown) => {
    await audit.close().catch(() => {});
    await lock.release();
    await handle.close();
    throw err;
  });
  if (recovered.shipped || recovered.torn)
    log(`audit: shipped ${recovered.shipped} event(s) an earlier run of ${config.instance} left in its journal${recovered.torn ? ` (${recovered.torn} torn line(s) skipped)` : ""}`);
  const throttle = new AuthThrottle(handle.db, config.authThrottle);
  const deps: GatewayDeps = {
    config,
    db: handle.db,
    box: createSecretBox(config.secretKey),
    audit,
    analyzer: new StatementAnalyzer(),
    sessions: createSessionStore(handle.db),
    live: new LiveSessions({ opened: (p) => metrics.sessionOpened(p), ended: (p) => metrics.sessionEnded(p) }),
    policies: new PolicyStore(handle.db),
    masking: new MaskingStore(handle.db, config.secretKey),
    reviews: new ReviewCoordinator({
      db: handle.db,
      instance: config.instance,
      consoleUrl: config.consoleUrl,
      audit: (e) => audit.write(e),
      log,
      notify: config.reviews.webhookUrl ? createReviewWebhook(config.reviews.webhookUrl) : undefined,
    }),
    verifyOidc: config.oidc ? createOidcVerifier(config.oidc) : undefined,
    keyUnusedExpireDays: config.keyUnusedExpireDays,
    buffers: new BufferBudget(config.bufferBudgetBytes),
    throttle,
    budgets: new BudgetMeter(handle.db, log),
    connectors: new ConnectorHub({ db: handle.db, instance: config.instance, workers: config.workers, audit, log, throttle }),
    log,
  };
  const leftovers = await deps.sessions.closeLeftovers(config.instance);
  if (leftovers.length) log(`closed ${leftovers.length} session record(s) an earlier run of ${config.instance} left active`);
  // Stored before the listeners open, so the restart's end events are in the log as soon as it answers.
  if (await endLeftoverSessions(handle.pool, audit, leftovers, LEFTOVER_REASON)) await audit.flush();
  await deps.connectors.closeLeftoverLinks();
  const staleReviews = await deps.reviews.cancelLeftovers();
  if (staleReviews) log(`cancelled ${staleReviews} review(s) an earlier run of ${config.instance} left pending`);

  // Each module subscribes its own handlers to the live events it cares about.
  const bus = new Bus(log);
  deps.live.subscribe(bus);
  deps.policies.subscribe(bus, log);
  deps.masking.subscribe(bus, log);
  deps.reviews.subscribe(bus);
  await deps.budgets.start(bus);
  const stopRetention = startRetention(handle.db, config.recordingRetentionDays, log);
  const stopAuditRetention = startAuditRetention(handle.pool, checkpointKey(config.secretKey), config.audit.retentionDays, log);
  const sinks = startAuditSinks(handle.pool, config.audit.sinks, log, { maxBacklog: config.audit.sinkMaxBacklog });
  const unsubscribe = await bus.listen(handle.db, config.databaseUrl);

  const http = new HttpRouter();
  deps.connectors.mount(http, bus);
  const tls = await loadTlsContext(config);
  const started: StartedAdapter[] = [];
  const ports: Record<string, number> = {};
  let shuttingDown = false;
  metrics.attach({ activeSessions: () => deps.live.countByProtocol(), auditBacklog: () => audit.backlog() });
  mountHealthRoutes(http, {
    pool: handle.pool,
    metrics,
    metricsToken: config.health.metricsToken,
    dbTimeoutMs: config.health.dbTimeoutMs,
    log,
    // Ready only once everything listens, and no longer once closing has begun.
    listeners: () => ({
      ...Object.fromEntries(PROTOCOL_ADAPTERS.flatMap((a, i) => (started[i]?.listening ? [[a.name, !shuttingDown && started[i].listening!()]] : []))),
      http: !shuttingDown && http.server.listening,
    }),
  });
  try {
    for (const adapter of PROTOCOL_ADAPTERS) {
      const a = await adapter.start({ deps, bus, http, tls, ports });
      started.push(a);
      if (a.port !== undefined) ports[adapter.name] = a.port;
    }
    ports.http = await http.listen(config.ports.http, config.bind, tls).catch((err: Error) => {
      throw new Error(`cannot listen for HTTP on ${config.bind}:${config.ports.http}: ${err.message}`);
    });
    log(`http listener on ${config.bind}:${ports.http}`);
    for (const a of started) log(a.describe);
    const listening = Object.entries(ports).map(([name, port]) => `${name} on ${config.bind}:${port}`);
    // The line scripts (npm start, the benchmarks, the crash tests) wait for: everything listens. A worker's primary says it once all are.
    if (opts.worker) {
      log(`worker ready: ${listening.join(", ")}`);
      opts.worker.ready(ports);
    } else log(`gateway ready: ${listening.join(", ")}`);
  } catch (err) {
    await Promise.all(started.map((a) => a.close()));
    await deps.connectors.close();
    await deps.budgets.close().catch(() => {});
    stopRetention();
    stopAuditRetention();
    await sinks.close();
    await unsubscribe();
    await audit.close().catch(() => {});
    await lock.release();
    await handle.close();
    throw err;
  }

  return {
    ports: { ...ports, pg: ports.postgres, ssh: ports.ssh, http: ports.http },
    sshHostKey: started.find((a) => a.info?.hostKeyFingerprint)?.info?.hostKeyFingerprint ?? "",
    deps,
    async close() {
      shuttingDown = true;
      const closing = Promise.all([...started.map((a) => a.close()), http.close()]);
      deps.live.killAll("the gateway is shutting down");
      await deps.reviews.close();
      await deps.connectors.close();
      await closing;
      await deps.budgets.close().catch((err: Error) => log(`could not store the last data budget use: ${err.message}`));
      stopRetention();
      stopAuditRetention();
      await unsubscribe();
      await deps.audit.close();
      // Only once every event is stored (or journaled): the next process of this instance may start now.
      await lock.release();
      await sinks.close();
      // Sessions close their rows as their relays end; give them a moment before the pool goes.
      await new Promise((r) => setTimeout(r, 200));
      await handle.close();
    },
  };
}
