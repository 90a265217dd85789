import path from "node:path";
import { z } from "zod";

const list = z
  .string()
  .default("")
  .transform((v) =>
    v
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );

/** Every variable the console reads, validated once (next.config.ts imports this, so a bad value fails the build). */
const consoleEnvSchema = z.object({
  /** The shared Postgres. Unset: the embedded database `npm start` serves from the data folder. */
  DATABASE_URL: z.string().min(1).optional(),
  /** Data folder of the embedded database and the generated secret key. */
  GATEHOUSE_DATA_DIR: z.string().default(".gatehouse"),
  /** Signs the console's session cookies. Unset: derived from the Gatehouse secret key. */
  AUTH_SECRET: z.string().min(32).optional(),
  /** Console sign-in through this OpenID provider (all three set), else local accounts only. */
  OIDC_ISSUER: z.string().url().optional(),
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  /** Scopes the console asks the provider for at sign-in; add your IdP's groups scope if it has one. */
  OIDC_SCOPES: z.string().default("openid email profile"),
  /** The ID-token claim that lists a person's groups. */
  OIDC_GROUPS_CLAIM: z.string().default("groups"),
  /** IdP groups whose members get a console role at each sign-in (comma-separated). Highest role wins. */
  GATEHOUSE_ADMIN_GROUPS: list,
  GATEHOUSE_APPROVER_GROUPS: list,
  GATEHOUSE_AUDITOR_GROUPS: list,
  /** The gateway's HTTP port, where the browser terminal's WebSocket is (on the host the page came from). */
  GATEHOUSE_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(18888),
  /** The gateway's SSH listener, for the `ssh -p` line the SSH keys page shows (0: not known, the page says so). */
  GATEHOUSE_SSH_PORT: z.coerce.number().int().min(0).max(65535).default(12222),
  /** The terminal WebSocket's full address when the gateway is behind a proxy, e.g. wss://gateway.example.com/terminal. */
  GATEHOUSE_TERMINAL_URL: z
    .string()
    .url()
    .refine((u) => /^wss?:\/\//.test(u), "must start with ws:// or wss://")
    .optional(),
  /** How long a console sign-in lasts. */
  GATEHOUSE_SESSION_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 30)
    .default(8),
});

export type ConsoleEnv = ReturnType<typeof parseConsoleEnv>;

export function parseConsoleEnv(env: NodeJS.ProcessEnv = process.env) {
  const parsed = consoleEnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid console configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const oidcParts = [e.OIDC_ISSUER, e.OIDC_CLIENT_ID, e.OIDC_CLIENT_SECRET].filter(Boolean).length;
  if (e.OIDC_CLIENT_ID && oidcParts !== 3) {
    throw new Error("invalid console configuration:\n  OIDC_CLIENT_ID: needs OIDC_ISSUER and OIDC_CLIENT_SECRET too (console sign-in through your provider)");
  }
  return {
    ...e,
    dataDir: path.resolve(e.GATEHOUSE_DATA_DIR),
    oidcSignIn: oidcParts === 3 ? { issuer: e.OIDC_ISSUER!, clientId: e.OIDC_CLIENT_ID!, clientSecret: e.OIDC_CLIENT_SECRET! } : undefined,
    roleGroups: { admin: e.GATEHOUSE_ADMIN_GROUPS, approver: e.GATEHOUSE_APPROVER_GROUPS, auditor: e.GATEHOUSE_AUDITOR_GROUPS },
  };
}
