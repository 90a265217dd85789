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
  /** The console's public URL; SAML's ACS, metadata and logout addresses are built from it. */
  AUTH_URL: z.string().url().optional(),
  /** Console sign-in through a SAML 2.0 identity provider: its metadata by URL or from a file (one of them). */
  SAML_IDP_METADATA_URL: z.string().url().optional(),
  SAML_IDP_METADATA_FILE: z.string().min(1).optional(),
  /** The name the sign-in button gives the provider ("Sign in with <name>"). */
  SAML_IDP_NAME: z.string().min(1).max(60).default("SAML"),
  /** This console's entity ID at the provider (the audience its assertions must name). */
  SAML_SP_ENTITY_ID: z.string().min(1).optional(),
  /** Assertion attributes: the person's groups, e-mail (else the provider's mail/email attributes, then an e-mail-shaped NameID) and display name. */
  SAML_GROUPS_ATTRIBUTE: z.string().min(1).default("groups"),
  SAML_EMAIL_ATTRIBUTE: z.string().min(1).optional(),
  SAML_NAME_ATTRIBUTE: z.string().min(1).default("displayName"),
  /** PEM files of the console's own key pair: signs AuthnRequests and LogoutRequests, decrypts encrypted assertions. */
  SAML_SP_PRIVATE_KEY_FILE: z.string().min(1).optional(),
  SAML_SP_CERT_FILE: z.string().min(1).optional(),
  /** How far the provider's clock may be from ours when checking NotBefore/NotOnOrAfter. */
  SAML_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(600).default(60),
  /** Accept responses the provider sends unasked (IdP-initiated sign-in, no InResponseTo). Off: only answers to our own requests. */
  SAML_ALLOW_IDP_INITIATED: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
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
  if (e.SAML_IDP_METADATA_URL && e.SAML_IDP_METADATA_FILE) {
    throw new Error("invalid console configuration:\n  SAML_IDP_METADATA_URL: set it or SAML_IDP_METADATA_FILE, not both");
  }
  if ((e.SAML_IDP_METADATA_URL || e.SAML_IDP_METADATA_FILE) && !e.AUTH_URL) {
    throw new Error("invalid console configuration:\n  AUTH_URL: SAML sign-in needs the console's public URL (its ACS and metadata addresses are built from it)");
  }
  if (Boolean(e.SAML_SP_PRIVATE_KEY_FILE) !== Boolean(e.SAML_SP_CERT_FILE)) {
    throw new Error("invalid console configuration:\n  SAML_SP_PRIVATE_KEY_FILE: set it together with SAML_SP_CERT_FILE");
  }
  return {
    ...e,
    samlSignIn: samlSettings(e),
    dataDir: path.resolve(e.GATEHOUSE_DATA_DIR),
    oidcSignIn: oidcParts === 3 ? { issuer: e.OIDC_ISSUER!, clientId: e.OIDC_CLIENT_ID!, clientSecret: e.OIDC_CLIENT_SECRET! } : undefined,
    roleGroups: { admin: e.GATEHOUSE_ADMIN_GROUPS, approver: e.GATEHOUSE_APPROVER_GROUPS, auditor: e.GATEHOUSE_AUDITOR_GROUPS },
  };
}

export type SamlSettings = {
  metadata: { url: string } | { file: string };
  displayName: string;
  spEntityId: string;
  acsUrl: string;
  sloUrl: string;
  groupsAttribute: string;
  emailAttribute?: string;
  nameAttribute: string;
  spKeyFile?: string;
  spCertFile?: string;
  clockSkewMs: number;
  allowIdpInitiated: boolean;
};

function samlSettings(e: z.infer<typeof consoleEnvSchema>): SamlSettings | undefined {
  const metadata = e.SAML_IDP_METADATA_URL ? { url: e.SAML_IDP_METADATA_URL } : e.SAML_IDP_METADATA_FILE ? { file: path.resolve(e.SAML_IDP_METADATA_FILE) } : undefined;
  if (!metadata || !e.AUTH_URL) return undefined;
  const base = e.AUTH_URL.replace(/\/+$/, "");
  return {
    metadata,
    displayName: e.SAML_IDP_NAME,
    spEntityId: e.SAML_SP_ENTITY_ID ?? `${base}/api/saml/metadata`,
    acsUrl: `${base}/api/saml/acs`,
    sloUrl: `${base}/api/saml/slo`,
    groupsAttribute: e.SAML_GROUPS_ATTRIBUTE,
    emailAttribute: e.SAML_EMAIL_ATTRIBUTE,
    nameAttribute: e.SAML_NAME_ATTRIBUTE,
    spKeyFile: e.SAML_SP_PRIVATE_KEY_FILE ? path.resolve(e.SAML_SP_PRIVATE_KEY_FILE) : undefined,
    spCertFile: e.SAML_SP_CERT_FILE ? path.resolve(e.SAML_SP_CERT_FILE) : undefined,
    clockSkewMs: e.SAML_CLOCK_SKEW_SECONDS * 1000,
    allowIdpInitiated: e.SAML_ALLOW_IDP_INITIATED,
  };
}
