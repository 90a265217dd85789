import { z } from "zod";
import { describeConnectError } from "../connect-error";
import { FlagUsageError, parseSettingsWith, stringFlag, type ConnectionTypeModule, type TestResult } from "../connection-type";
import { checkboxField, hostField, nameField, portField, secretKeysField, splitConnectionForm, type FieldSpec } from "../form-fields";

/** TLS from the gateway to the target: prefer means TLS when the target offers it. */
export const MYSQL_TLS_MODES = ["disable", "prefer", "require", "verify-full"] as const;
export type MysqlTlsMode = (typeof MYSQL_TLS_MODES)[number];

/** Stored settings; what is missing reads as the mysql client would default it. */
const settingsSchema = z.object({
  host: z.string().min(1).default("127.0.0.1"),
  port: z.number().int().min(1).max(65535).default(3306),
  user: z.string().min(1).default("root"),
  /** The database the gateway selects at login when the client names none (clients may USE any other the user may). */
  database: z.string().min(1).optional(),
  tls: z.enum(MYSQL_TLS_MODES).default("prefer"),
  /**
   * LOAD DATA LOCAL INFILE makes the client send a file of its own machine into the target. Off by
   * default: the gateway would be carrying an agent's local files into production unjudged.
   */
  allowLocalInfile: z.boolean().default(false),
});
export type MysqlSettings = z.infer<typeof settingsSchema>;

const secretSchema = z.object({ password: z.string().optional() });
export type MysqlSecret = z.infer<typeof secretSchema>;

export const mysqlFormSchema = z.object({
  type: z.literal("mysql"),
  name: nameField("user name"),
  host: hostField,
  port: portField,
  user: z.string().trim().min(1, "the account the gateway signs in as").max(80, "at most 80 characters"),
  database: z.preprocess((v) => (v === "" ? undefined : v), z.string().trim().max(64, "at most 64 characters").optional()),
  /** Write-only: empty keeps the stored password. */
  password: z.string().max(1000, "at most 1000 characters").optional(),
  tls: z.enum(MYSQL_TLS_MODES, "choose a TLS mode"),
  allowLocalInfile: checkboxField(false),
  clearSecrets: secretKeysField,
});
export type MysqlForm = z.infer<typeof mysqlFormSchema>;

const FIELDS: readonly FieldSpec[] = [
  { key: "host", label: "Host", kind: "text", placeholder: "db.internal", required: true },
  { key: "port", label: "Port", kind: "number", required: true, hint: "1-65535; MySQL and MariaDB listen on 3306 by default." },
  { key: "user", label: "User", kind: "text", required: true, hint: "The account the gateway signs in as; agents never see it." },
  { key: "password", label: "Password", kind: "password", secret: true },
  { key: "database", label: "Default database", kind: "text", placeholder: "shop", hint: "Selected when the client names none; clients may still USE another." },
  { key: "tls", label: "TLS to the target", kind: "select", options: MYSQL_TLS_MODES, hint: "prefer: TLS when the target offers it; verify-full also checks its certificate." },
  {
    key: "allowLocalInfile",
    label: "Allow LOAD DATA LOCAL INFILE",
    kind: "checkbox",
    hint: "Lets clients send files from their own machine into the target. Off: such statements are refused.",
  },
];

/** Splits a mysql:// URL into stored settings and the secret part (the password), which is sealed. */
export function parseMysqlUrl(url: string, tls?: string): { settings: MysqlSettings; secret: MysqlSecret } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error("the URL is not valid: expected mysql://user:password@host:port/database");
  }
  if (u.protocol !== "mysql:" && u.protocol !== "mariadb:") throw new Error("the URL must start with mysql://");
  const mode = tls ?? u.searchParams.get("tls") ?? "prefer";
  if (!(MYSQL_TLS_MODES as readonly string[]).includes(mode)) throw new Error(`tls must be one of ${MYSQL_TLS_MODES.join(", ")}`);
  const database = decodeURIComponent(u.pathname.slice(1));
  return {
    settings: {
      host: decodeURIComponent(u.hostname) || "127.0.0.1",
      port: Number(u.port || 3306),
      user: decodeURIComponent(u.username) || "root",
      ...(database ? { database } : {}),
      tls: mode as MysqlTlsMode,
      allowLocalInfile: false,
    },
    secret: u.password ? { password: decodeURIComponent(u.password) } : {},
  };
}

const TIMEOUT_MS = 5000;

/** `select version()` over a fresh mysql2 client, with TLS as the gateway would negotiate it. */
export async function testMysqlTarget(s: MysqlSettings, password: string | undefined): Promise<TestResult> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  // Node-only, and this module is also in the browser's form: loaded when a test runs, on the server.
  const mysql = await import(/* webpackIgnore: true */ "mysql2/promise");
  const attempts: (undefined | { rejectUnauthorized: boolean })[] =
    s.tls === "disable" ? [undefined] : s.tls === "prefer" ? [{ rejectUnauthorized: false }, undefined] : [{ rejectUnauthorized: s.tls === "verify-full" }];
  let lastError: unknown;
  for (const ssl of attempts) {
    try {
      const conn = await mysql.createConnection({ host: s.host, port: s.port, user: s.user, password, database: s.database, ssl, connectTimeout: TIMEOUT_MS });
      try {
        const [rows] = await conn.query<import("mysql2").RowDataPacket[]>({ sql: "select version() as v", timeout: TIMEOUT_MS });
        return { ok: true, serverVersion: String(rows[0].v), ms: ms() };
      } finally {
        await conn.end().catch(() => {});
      }
    } catch (err) {
      lastError = err;
      if (!(ssl && s.tls === "prefer" && /ssl|tls/i.test((err as Error).message))) break;
    }
  }
  return { ok: false, error: describeConnectError(lastError, password ? [password] : []), ms: ms() };
}

export const mysql = {
  type: "mysql",
  label: "MySQL / MariaDB",
  listener: "mysql",
  terminal: null,
  settingsSchema,
  secretSchema,
  parseSettings: (connection) => parseSettingsWith("mysql", settingsSchema, connection),
  form: {
    schema: mysqlFormSchema,
    nameUse: "user name",
    namePlaceholder: "mysql-prod",
    fields: FIELDS,
    defaults: { host: "", port: "3306", user: "", password: "", database: "", tls: "prefer", allowLocalInfile: "false" },
    plan: async (form) => splitConnectionForm(FIELDS, form),
  },
  test: ({ settings, secret }) => testMysqlTarget(settings, secret.password),
  cli: {
    flags: { url: { type: "string" }, tls: { type: "string" }, "allow-local-infile": { type: "boolean" } },
    usage: { flags: ["--url URL [--tls M] [--allow-local-infile]"], about: "a MySQL or MariaDB target (the password in URL is stored encrypted)" },
    example: "mysql-prod --type mysql --url mysql://user:password@host:3306/shop",
    parse: async (flags) => {
      const url = stringFlag(flags, "url");
      if (!url) throw new FlagUsageError("--url mysql://user:password@host:port[/database] is required");
      const parsed = parseMysqlUrl(url, stringFlag(flags, "tls"));
      return flags["allow-local-infile"] === true ? { ...parsed, settings: { ...parsed.settings, allowLocalInfile: true } } : parsed;
    },
    added: (s) => `${s.user}@${s.host}:${s.port}${s.database ? `/${s.database}` : ""}`,
    listed: (s) => `${s.host}:${s.port}${s.database ? `/${s.database}` : ""}`,
  },
  address: (s) => `${s.host}:${s.port}`,
  summary: (s, hasSecret) => [
    { text: `${s.user}@${s.host}:${s.port}`, tone: "target" },
    ...(s.database ? [{ text: `/${s.database}`, tone: "target" as const }] : []),
    { text: `tls ${s.tls}${s.allowLocalInfile ? " · LOCAL INFILE allowed" : ""}${hasSecret ? "" : " · no password stored"}`, tone: "note" },
  ],
  hostKeyPin: null,
} satisfies ConnectionTypeModule<MysqlSettings, MysqlSecret, MysqlForm>;
