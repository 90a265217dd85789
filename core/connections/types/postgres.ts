import { z } from "zod";
import { describeConnectError } from "../connect-error";
import { FlagUsageError, parseSettingsWith, stringFlag, type ConnectionTypeModule, type TestResult } from "../connection-type";
import { hostField, nameField, portField, secretKeysField, splitConnectionForm, type FieldSpec } from "../form-fields";

/** As the gateway's target socket reads them: prefer means TLS when the target offers it. */
export const PG_SSL_MODES = ["disable", "prefer", "require", "verify-full"] as const;
export type PgSslMode = (typeof PG_SSL_MODES)[number];

/** Stored settings; what is missing reads as libpq would default it. */
const settingsSchema = z.object({
  host: z.string().min(1).default("127.0.0.1"),
  port: z.number().int().min(1).max(65535).default(5432),
  database: z.string().min(1).default("postgres"),
  user: z.string().min(1).default("postgres"),
  sslmode: z.enum(PG_SSL_MODES).default("prefer"),
  /** Ends a gateway session with no request for this long (57P05, the reason told to the client); absent or 0: never. */
  idleTimeoutSeconds: z.number().int().min(0).max(604_800).optional(),
});
export type PostgresSettings = z.infer<typeof settingsSchema>;

const secretSchema = z.object({ password: z.string().optional() });
export type PostgresSecret = z.infer<typeof secretSchema>;

export const postgresFormSchema = z.object({
  type: z.literal("postgres"),
  name: nameField("database name"),
  host: hostField,
  port: portField,
  database: z.string().trim().min(1, "the database on the target").max(63, "at most 63 characters"),
  user: z.string().trim().min(1, "the role the gateway signs in as").max(63, "at most 63 characters"),
  /** Write-only: empty keeps the stored password. */
  password: z.string().max(1000, "at most 1000 characters").optional(),
  sslmode: z.enum(PG_SSL_MODES, "choose a TLS mode"),
  idleTimeoutSeconds: z.preprocess(
    (v) => (v === "" || v === undefined ? undefined : v),
    z.coerce.number("a number of seconds").int("whole seconds").min(0, "0 or more").max(604_800, "at most a week (604800)").optional(),
  ),
  clearSecrets: secretKeysField,
});
export type PostgresForm = z.infer<typeof postgresFormSchema>;

const FIELDS: readonly FieldSpec[] = [
  { key: "host", label: "Host", kind: "text", placeholder: "db.internal", required: true },
  { key: "port", label: "Port", kind: "number", required: true, hint: "1-65535; Postgres listens on 5432 by default." },
  { key: "database", label: "Database", kind: "text", placeholder: "shop", required: true, hint: "The database on the target." },
  { key: "user", label: "User", kind: "text", required: true, hint: "The role the gateway signs in as; agents never see it." },
  { key: "password", label: "Password", kind: "password", secret: true },
  { key: "sslmode", label: "TLS to the target", kind: "select", options: PG_SSL_MODES, hint: "prefer: TLS when the target offers it; verify-full also checks its certificate." },
  {
    key: "idleTimeoutSeconds",
    label: "Idle session timeout (seconds)",
    kind: "number",
    hint: "Ends a session that sends no request for this long, telling the client why. Empty or 0: never (interactive use).",
  },
];

/** Splits a postgres:// URL into stored settings and the secret part (the password), which is sealed. */
export function parsePostgresUrl(url: string, sslmode?: string): { settings: PostgresSettings; secret: PostgresSecret } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error("the URL is not valid: expected postgres://user:password@host:port/database");
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") throw new Error("the URL must start with postgres://");
  const mode = sslmode ?? u.searchParams.get("sslmode") ?? "prefer";
  if (!isSslMode(mode)) throw new Error(`sslmode must be one of ${PG_SSL_MODES.join(", ")}`);
  const host = u.searchParams.get("host") ?? (decodeURIComponent(u.hostname) || "127.0.0.1");
  return {
    settings: { host, port: Number(u.port || 5432), database: decodeURIComponent(u.pathname.slice(1)) || "postgres", user: decodeURIComponent(u.username) || "postgres", sslmode: mode },
    secret: u.password ? { password: decodeURIComponent(u.password) } : {},
  };
}

const isSslMode = (mode: string): mode is PgSslMode => (PG_SSL_MODES as readonly string[]).includes(mode);

const TIMEOUT_MS = 5000;

/** `select version()` over a fresh client, with TLS as the gateway would negotiate it. */
export async function testPostgresTarget(s: PostgresSettings, password: string | undefined): Promise<TestResult> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  // Node-only, and this module is also in the browser's form: loaded when a test runs, on the server.
  const { default: pg } = await import(/* webpackIgnore: true */ "pg");
  // The gateway's "prefer" tries TLS and falls back to plain when the target does not offer it.
  const attempts: (false | { rejectUnauthorized: boolean })[] =
    s.sslmode === "disable" ? [false] : s.sslmode === "prefer" ? [{ rejectUnauthorized: false }, false] : [{ rejectUnauthorized: s.sslmode === "verify-full" }];
  let lastError: unknown;
  for (const ssl of attempts) {
    const client = new pg.Client({
      host: s.host,
      port: s.port,
      database: s.database,
      user: s.user,
      password,
      ssl,
      connectionTimeoutMillis: TIMEOUT_MS,
      query_timeout: TIMEOUT_MS,
      statement_timeout: TIMEOUT_MS,
      application_name: "gatehouse-console-test",
    });
    client.on("error", () => {});
    try {
      await client.connect();
      const { rows } = await client.query<{ v: string }>("select version() as v");
      return { ok: true, serverVersion: rows[0].v.split(" on ")[0], ms: ms() };
    } catch (err) {
      lastError = err;
      if (!(ssl && s.sslmode === "prefer" && /does not support SSL/i.test((err as Error).message))) break;
    } finally {
      await client.end().catch(() => {});
    }
  }
  return { ok: false, error: describeConnectError(lastError, password ? [password] : []), ms: ms() };
}

export const postgres = {
  type: "postgres",
  label: "PostgreSQL",
  listener: "postgres",
  terminal: "psql",
  settingsSchema,
  secretSchema,
  parseSettings: (connection) => parseSettingsWith("postgres", settingsSchema, connection),
  form: {
    schema: postgresFormSchema,
    nameUse: "database name",
    namePlaceholder: "pg-prod",
    fields: FIELDS,
    defaults: { host: "", port: "5432", database: "", user: "", password: "", sslmode: "prefer", idleTimeoutSeconds: "" },
    plan: async (form) => splitConnectionForm(FIELDS, form),
  },
  test: ({ settings, secret }) => testPostgresTarget(settings, secret.password),
  cli: {
    flags: { url: { type: "string" }, sslmode: { type: "string" }, "idle-timeout": { type: "string" } },
    usage: { flags: ["--url URL [--idle-timeout S]"], about: "add a connection (the password in URL is stored encrypted)" },
    example: "pg-prod --type postgres --url postgres://user:password@host:5432/db",
    parse: async (flags) => {
      const url = stringFlag(flags, "url");
      if (!url) throw new FlagUsageError("--url postgres://user:password@host:port/database is required");
      const parsed = parsePostgresUrl(url, stringFlag(flags, "sslmode"));
      const idle = stringFlag(flags, "idle-timeout");
      if (idle === undefined) return parsed;
      if (!/^\d+$/.test(idle) || Number(idle) > 604_800) throw new FlagUsageError("--idle-timeout takes whole seconds, 0 (never) to 604800 (a week)");
      return { ...parsed, settings: { ...parsed.settings, idleTimeoutSeconds: Number(idle) } };
    },
    added: (s) => `${s.user}@${s.host}:${s.port}/${s.database}`,
    listed: (s) => `${s.host}:${s.port}/${s.database}`,
  },
  address: (s) => `${s.host}:${s.port}`,
  summary: (s, hasSecret) => [
    { text: `${s.user}@${s.host}:${s.port}`, tone: "target" },
    { text: `/${s.database}`, tone: "target" },
    { text: `sslmode ${s.sslmode}${hasSecret ? "" : " · no password stored"}`, tone: "note" },
  ],
  hostKeyPin: null,
} satisfies ConnectionTypeModule<PostgresSettings, PostgresSecret, PostgresForm>;
