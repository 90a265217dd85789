import { parseKeyHygiene } from "../core/identity/key-hygiene";
import { z } from "zod";
import { hostname } from "node:os";
import path from "node:path";
import { parseSecretKey } from "../core/crypto/secret-box";
import { embeddedDatabaseUrl, loadOrCreateSecretKey } from "../core/config/data-dir";
import { sinksFromEnv } from "../core/audit/sinks/sink-config";
import type { Sink } from "../core/audit/sinks/transports";

export { embeddedDatabaseUrl, loadOrCreateSecretKey };

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** Every variable the gateway and CLI read, validated once at start-up. */
const envSchema = z.object({
  /** The shared Postgres. Unset: the embedded database that `npm start` serves from the data folder. */
  DATABASE_URL: z.string().min(1).optional(),
  /** Folder for the embedded database, the generated secret key and the generated TLS certificate. */
  GATEHOUSE_DATA_DIR: z.string().default(".gatehouse"),
  /** 32-byte key (hex or base64) that encrypts stored target credentials. Unset: generated once into the data folder. */
  GATEHOUSE_SECRET_KEY: z.string().optional(),
  /** Listener ports. 0 picks a free port (tests). */
  GATEHOUSE_PG_PORT: port(15432),
  GATEHOUSE_MYSQL_PORT: port(13306),
  GATEHOUSE_SSH_PORT: port(12222),
  GATEHOUSE_HTTP_PORT: port(18888),
  /** Address the listeners bind to. */
  GATEHOUSE_BIND: z.string().default("127.0.0.1"),
  /** PEM files for the listeners' TLS. Unset: a self-signed certificate generated into the data folder. */
  GATEHOUSE_TLS_CERT: z.string().optional(),
  GATEHOUSE_TLS_KEY: z.string().optional(),
  /** Refuse clients that do not negotiate TLS before sending their token. */
  GATEHOUSE_REQUIRE_TLS: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
  /** Accept OIDC access tokens (JWT) from this issuer; the audience they must carry; the claim that lists groups. */
  OIDC_ISSUER: z.string().url().optional(),
  OIDC_AUDIENCE: z.string().optional(),
  OIDC_GROUPS_CLAIM: z.string().default("groups"),
  /** Largest frontend protocol message accepted (bytes); larger ones end the session with 08P01. */
  GATEHOUSE_MAX_MESSAGE_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024),
  /** A message a client has started must be complete within this (ms), else the session ends with 08P01; 0 turns it off. */
  GATEHOUSE_MESSAGE_TIMEOUT_MS: z.coerce.number().int().min(0).default(30_000),
  /** An SSH client must have signed in within this many seconds of connecting (OpenSSH's LoginGraceTime), else the connection is closed. */
  GATEHOUSE_SSH_LOGIN_GRACE_SECONDS: z.coerce.number().int().min(1).default(120),
  /** Bytes of partially received messages the whole gateway holds at most; a client that would pass it is refused with 08P01. */
  GATEHOUSE_BUFFER_BUDGET_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(128 * 1024 * 1024),
  /** Logged-in Postgres target backends wait this many seconds for the next client of the same connection and credentials; 0 turns pooling off. */
  GATEHOUSE_PG_POOL_IDLE_SECONDS: z.coerce.number().int().min(0).default(30),
  /** Postgres target backends kept waiting per connection, credentials and client start-up parameters; 0 turns pooling off. */
  GATEHOUSE_PG_POOL_MAX_IDLE: z.coerce.number().int().min(0).default(10),
  /** Failed sign-ins are counted per source address and per claimed key in windows of this many seconds. */
  GATEHOUSE_AUTH_WINDOW_SECONDS: z.coerce.number().int().min(1).default(300),
  /** Failures per window answered at once and audited one by one; later ones wait (doubling from GATEHOUSE_AUTH_DELAY_MS to 16 times it) and are audited once, aggregated. */
  GATEHOUSE_AUTH_FREE_FAILURES: z.coerce.number().int().min(1).default(5),
  GATEHOUSE_AUTH_DELAY_MS: z.coerce.number().int().min(0).default(250),
  /** Failures from one address per window after which it is refused until the window ends. */
  GATEHOUSE_AUTH_REFUSE_AFTER: z.coerce.number().int().min(1).default(30),
  /** The console's public address, for the review links the gateway sends clients. */
  GATEHOUSE_CONSOLE_URL: z.string().url().default("http://localhost:3000"),
  /** How long a held statement waits for approval by default (seconds). */
  GATEHOUSE_REVIEW_TIMEOUT: z.coerce.number().int().min(5).max(86_400).default(600),
  /** Slack-compatible incoming webhook told about each held statement. */
  GATEHOUSE_REVIEW_WEBHOOK_URL: z.string().url().optional(),
  /** Terminal recordings older than this many days are deleted (checked hourly); 0 keeps them forever. */
  GATEHOUSE_RECORDING_RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).default(90),
  /** This instance's name in session records; unique among running instances (sessions it left open are closed under it at start). */
  GATEHOUSE_INSTANCE: z
    .string()
    .refine((v) => !v.startsWith("gatehouse:"), "names starting with gatehouse: are the console's and the CLI's audit streams (core/audit/chained-append.ts)")
    .optional(),
  /** fdatasync the audit journal after each append: a machine crash then loses no acknowledged event either (costs latency per batch). */
  GATEHOUSE_AUDIT_FSYNC: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
  /** Audit events older than this many days are deleted (hourly, whole prefixes of each chain, with a signed checkpoint); 0 keeps them. */
  GATEHOUSE_AUDIT_RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).default(0),
  /** Events a SIEM sink may fall behind before its oldest undelivered ones are skipped (logged as a warning; half of it warns). The sinks' own variables: core/audit/sinks/sink-config.ts. */
  GATEHOUSE_AUDIT_SINK_MAX_BACKLOG: z.coerce.number().int().min(1000).default(1_000_000),
  /** `GET /metrics` on the HTTP port asks for `Authorization: Bearer <this>`; unset: open to anyone who reaches the port. */
  GATEHOUSE_METRICS_TOKEN: z.string().min(16, "use at least 16 characters").optional(),
  /** `/readyz` counts the gateway database as down when `select 1` takes longer than this (ms). */
  GATEHOUSE_READY_DB_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2000),
  /** Gateway processes sharing the listeners (gateway/workers.ts): each is an instance of its own, `<GATEHOUSE_INSTANCE>#<n>`. */
  GATEHOUSE_WORKERS: z.coerce.number().int().min(1).max(64).default(1),
});

export type GatewayConfig = {
  databaseUrl: string;
  dataDir: string;
  secretKey: Buffer;
  bind: string;
  ports: { pg: number; mysql: number; ssh: number; http: number };
  tls: { certFile?: string; keyFile?: string; required: boolean };
  oidc?: { issuer: string; audience?: string; groupsClaim: string };
  /** Keys unused this long are refused (GATEHOUSE_KEY_UNUSED_EXPIRE), or never (null). */
  keyUnusedExpireDays: number | null;
  maxMessageBytes: number;
  /** A started message must be complete within this (ms; 0: no bound). */
  messageTimeoutMs: number;
  /** An SSH connection not signed in within this (ms) is closed. */
  sshLoginGraceMs: number;
  /** Gateway-wide bytes of partially received messages. */
  bufferBudgetBytes: number;
  /** Postgres target backends kept for reuse (gateway/protocols/postgres/target-pool.ts): how long one waits (ms), how many per key; either 0: off. */
  pgPool: { idleMs: number; maxPerKey: number };
  /** Failed sign-in throttling (gateway/pipeline/auth-throttle.ts). */
  authThrottle: { windowMs: number; freeFailures: number; refuseAfter: number; baseDelayMs: number; maxDelayMs: number };
  instance: string;
  consoleUrl: string;
  reviews: { timeoutSeconds: number; webhookUrl?: string };
  recordingRetentionDays: number;
  /** The audit journal: `<dataDir>/audit-journal/<instance>/`, fsynced per batch when asked. */
  audit: { journalDir: string; fsync: boolean; retentionDays: number; sinks: Sink[]; sinkMaxBacklog: number };
  /** `/metrics` bearer token (unset: open) and `/readyz`'s database timeout. */
  health: { metricsToken?: string; dbTimeoutMs: number };
  /** Gateway processes sharing the listeners (GATEHOUSE_WORKERS); 1: this process serves alone. */
  workers: number;
};

export function loadConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  // Without an audience, any token the issuer minted for any other API would open the gateway.
  if (e.OIDC_ISSUER && !e.OIDC_AUDIENCE) throw new Error("invalid configuration:\n  OIDC_AUDIENCE: required when OIDC_ISSUER is set (the audience your provider puts in access tokens for Gatehouse)");
  const dataDir = path.resolve(e.GATEHOUSE_DATA_DIR);
  const databaseUrl = e.DATABASE_URL ?? embeddedDatabaseUrl(dataDir);
  // The embedded database is one backend and one session for every connection (scripts/start.ts): it serves one gateway instance.
  if (e.GATEHOUSE_WORKERS > 1 && databaseUrl === embeddedDatabaseUrl(dataDir))
    throw new Error("invalid configuration:\n  GATEHOUSE_WORKERS: more than one worker needs a PostgreSQL server (DATABASE_URL); the embedded database serves one gateway instance");
  return {
    databaseUrl,
    dataDir,
    secretKey: e.GATEHOUSE_SECRET_KEY ? parseSecretKey(e.GATEHOUSE_SECRET_KEY) : loadOrCreateSecretKey(dataDir),
    bind: e.GATEHOUSE_BIND,
    ports: { pg: e.GATEHOUSE_PG_PORT, mysql: e.GATEHOUSE_MYSQL_PORT, ssh: e.GATEHOUSE_SSH_PORT, http: e.GATEHOUSE_HTTP_PORT },
    tls: { certFile: e.GATEHOUSE_TLS_CERT, keyFile: e.GATEHOUSE_TLS_KEY, required: e.GATEHOUSE_REQUIRE_TLS },
    oidc: e.OIDC_ISSUER ? { issuer: e.OIDC_ISSUER, audience: e.OIDC_AUDIENCE, groupsClaim: e.OIDC_GROUPS_CLAIM } : undefined,
    keyUnusedExpireDays: parseKeyHygiene(env).expireUnusedDays,
    maxMessageBytes: e.GATEHOUSE_MAX_MESSAGE_BYTES,
    messageTimeoutMs: e.GATEHOUSE_MESSAGE_TIMEOUT_MS,
    bufferBudgetBytes: e.GATEHOUSE_BUFFER_BUDGET_BYTES,
    pgPool: { idleMs: e.GATEHOUSE_PG_POOL_IDLE_SECONDS * 1000, maxPerKey: e.GATEHOUSE_PG_POOL_MAX_IDLE },
    sshLoginGraceMs: e.GATEHOUSE_SSH_LOGIN_GRACE_SECONDS * 1000,
    authThrottle: {
      windowMs: e.GATEHOUSE_AUTH_WINDOW_SECONDS * 1000,
      freeFailures: e.GATEHOUSE_AUTH_FREE_FAILURES,
      refuseAfter: e.GATEHOUSE_AUTH_REFUSE_AFTER,
      baseDelayMs: e.GATEHOUSE_AUTH_DELAY_MS,
      maxDelayMs: e.GATEHOUSE_AUTH_DELAY_MS * 16,
    },
    instance: e.GATEHOUSE_INSTANCE ?? `${hostname()}:${e.GATEHOUSE_PG_PORT}`,
    consoleUrl: e.GATEHOUSE_CONSOLE_URL,
    reviews: { timeoutSeconds: e.GATEHOUSE_REVIEW_TIMEOUT, webhookUrl: e.GATEHOUSE_REVIEW_WEBHOOK_URL },
    recordingRetentionDays: e.GATEHOUSE_RECORDING_RETENTION_DAYS,
    audit: {
      journalDir: path.join(dataDir, "audit-journal"),
      fsync: e.GATEHOUSE_AUDIT_FSYNC,
      retentionDays: e.GATEHOUSE_AUDIT_RETENTION_DAYS,
      sinks: sinksFromEnv(env),
      sinkMaxBacklog: e.GATEHOUSE_AUDIT_SINK_MAX_BACKLOG,
    },
    health: { metricsToken: e.GATEHOUSE_METRICS_TOKEN, dbTimeoutMs: e.GATEHOUSE_READY_DB_TIMEOUT_MS },
    workers: e.GATEHOUSE_WORKERS,
  };
}
