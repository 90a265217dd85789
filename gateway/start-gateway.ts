import { openDb } from "../drizzle/client";
import { runMigrations } from "../drizzle/migrate";
import type { GatewayConfig } from "./config";
import { createSecretBox } from "../core/crypto/secret-box";
import { AuditWriter } from "../core/audit/audit-writer";
import { StatementAnalyzer, loadSqlParser } from "../core/sql/statement-analyzer";
import { createSessionStore } from "../core/sessions/session-store";
import { LiveSessions } from "./pipeline/live-sessions";
import { PolicyStore } from "../core/policy/policy-store";
import { MaskingStore } from "../core/masking/masking-store";
import { TargetCatalogs } from "./protocols/postgres/column-catalog";
import { ReviewCoordinator } from "./pipeline/review-coordinator";
import { createReviewWebhook } from "./pipeline/review-webhook";
import { createOidcVerifier } from "../core/identity/oidc";
import { subscribe, type BusEvent } from "../core/bus/event-bus";
import { loadTlsContext } from "./tls";
import { startPgListener } from "./protocols/postgres/listener";
import { startSshListener } from "./protocols/ssh/listener";
import { startTerminalListener } from "./protocols/terminal/terminal-listener";
import { startRetention } from "../core/recordings/retention";
import type { GatewayDeps } from "./gateway-deps";

export type RunningGateway = {
  ports: { pg: number; ssh: number; http: number };
  /** The SSH host key clients see (derived from the secret key: the same on every instance). */
  sshHostKey: string;
  deps: GatewayDeps;
  /** Stops listening, ends live sessions with a message, and writes out every queued audit event. */
  close: () => Promise<void>;
};

export async function startGateway(config: GatewayConfig, opts: { migrate?: boolean; log?: (m: string) => void } = {}): Promise<RunningGateway> {
  const log = opts.log ?? ((m: string) => console.error(`[gateway ${config.instance}] ${m}`));
  if (opts.migrate !== false) await runMigrations(config.databaseUrl);
  await loadSqlParser();
  const handle = openDb(config.databaseUrl, { max: 10, applicationName: `gatehouse-gateway ${config.instance}` });
  const live = new LiveSessions();
  const audit = new AuditWriter(handle.pool, 100, log);
  const analyzer = new StatementAnalyzer();
  const deps: GatewayDeps = {
    config,
    db: handle.db,
    box: createSecretBox(config.secretKey),
    audit,
    analyzer,
    sessions: createSessionStore(handle.db),
    live,
    policies: new PolicyStore(handle.db),
    masking: new MaskingStore(handle.db, config.secretKey),
    pgCatalogs: new TargetCatalogs(analyzer),
    reviews: new ReviewCoordinator({
      db: handle.db,
      instance: config.instance,
      consoleUrl: config.consoleUrl,
      audit: (e) => audit.write(e),
      log,
      notify: config.reviews.webhookUrl ? createReviewWebhook(config.reviews.webhookUrl) : undefined,
    }),
    verifyOidc: config.oidc ? createOidcVerifier(config.oidc) : undefined,
    log,
  };
  const leftovers = await deps.sessions.closeLeftovers(config.instance);
  if (leftovers) log(`closed ${leftovers} session record(s) an earlier run of ${config.instance} left active`);
  const staleReviews = await deps.reviews.cancelLeftovers();
  if (staleReviews) log(`cancelled ${staleReviews} review(s) an earlier run of ${config.instance} left pending`);
  const onBusEvent = (e: BusEvent) => {
    if (e.topic === "keys.revoked") {
      const { identityId, keyIds } = e.payload as { identityId?: string; keyIds?: string[] };
      if (identityId) live.revokeIdentity(identityId, keyIds);
      // One key revoked (console): only the sessions opened with it end.
      else if (keyIds?.length) live.killWhere((s) => !!s.keyId && keyIds.includes(s.keyId), "the key of this session was revoked");
    }
    if (e.topic === "policies.changed") {
      const { connectionId } = e.payload as { connectionId: string };
      deps.policies.reload(connectionId).catch((err) => log(`could not reload the policy of ${connectionId}: ${(err as Error).message}`));
    }
    if (e.topic === "masking.changed") {
      const { connectionId } = e.payload as { connectionId: string };
      deps.masking.reload(connectionId).catch((err) => log(`could not reload the masking rules of ${connectionId}: ${(err as Error).message}`));
    }
    if (e.topic === "reviews.decided") {
      const { reviewId } = e.payload as { reviewId: string };
      deps.reviews.onDecided(reviewId).catch((err) => log(`could not read the decision on review ${reviewId}: ${(err as Error).message}`));
    }
    if (e.topic === "access.revoked") {
      const { identityId, connectionId } = e.payload as { identityId: string; connectionId: string };
      live.killWhere((s) => s.identityId === identityId && s.temporaryAccessTo === connectionId, "the time-bound access to this connection was revoked");
    }
    if (e.topic === "sessions.kill") {
      const { sessionId, reason } = e.payload as { sessionId: string; reason?: string };
      live.killWhere((s) => s.id === sessionId, reason ?? "an administrator ended this session");
    }
  };
  const stopRetention = startRetention(handle.db, config.recordingRetentionDays, log);
  const unsubscribe = await subscribe(handle.db, config.databaseUrl, onBusEvent);
  const pg = await startPgListener(deps, await loadTlsContext(config));
  const ssh = await startSshListener(deps).catch(async (err) => {
    await pg.close();
    throw new Error(`cannot listen for SSH on ${config.bind}:${config.ports.ssh}: ${(err as Error).message}`);
  });
  log(`ssh listener on ${config.bind}:${ssh.port} (host key ${ssh.hostKeyFingerprint})`);
  const terminal = await startTerminalListener(deps, { pg: pg.port, ssh: ssh.port }).catch(async (err) => {
    await Promise.all([pg.close(), ssh.close()]);
    throw new Error(`cannot listen for HTTP on ${config.bind}:${config.ports.http}: ${(err as Error).message}`);
  });
  log(`http listener (browser terminal) on ${config.bind}:${terminal.port}`);
  log(`postgres listener on ${config.bind}:${pg.port}`);

  return {
    ports: { pg: pg.port, ssh: ssh.port, http: terminal.port },
    sshHostKey: ssh.hostKeyFingerprint,
    deps,
    async close() {
      const closing = Promise.all([pg.close(), ssh.close(), terminal.close()]);
      live.killAll("the gateway is shutting down");
      await deps.reviews.close();
      await closing;
      stopRetention();
      await unsubscribe();
      await deps.audit.close();
      await deps.pgCatalogs.close();
      // Sessions close their rows as their relays end; give them a moment before the pool goes.
      await new Promise((r) => setTimeout(r, 200));
      await handle.close();
    },
  };
}
