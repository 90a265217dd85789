import { z } from "zod";
import { FlagUsageError, parseSettingsWith, stringFlag, type CliFlagValues, type ConnectionTypeModule } from "../connection-type";
import { checkboxField, nameField, optionalNumberField, optionalTextField, secretKeysField, splitConnectionForm, type FieldSpec } from "../form-fields";
import { testKubernetesTarget } from "./kubernetes-test-target";

const validServer = (v: string) => {
  try {
    const u = new URL(v);
    return u.protocol === "https:" && !u.username && !u.password && !u.search && !u.hash;
  } catch {
    return false;
  }
};
const SERVER_RULE = "an https:// URL without credentials, query or fragment (https://10.0.0.1:6443)";
const PEM_CERT = /-----BEGIN CERTIFICATE-----/;
const groupList = z
  .string()
  .max(2000)
  .regex(/^[^\n]*$/, "groups separated by commas")
  .optional();

const settingsSchema = z.object({
  /** The API server; `/k8s/<connection>/<path>` goes to `<server>/<path>`. */
  server: z.string().refine(validServer, SERVER_RULE).default("https://127.0.0.1:6443"),
  /** PEM certificates the API server's certificate must chain to (the cluster's CA), instead of the system's. */
  caBundle: z.string().regex(PEM_CERT, "PEM certificates").optional(),
  tlsVerify: z.boolean().default(true),
  /** The gateway's client certificate (PEM; its key is sealed), when it authenticates with one instead of a token. */
  clientCert: z.string().regex(PEM_CERT, "a PEM certificate").optional(),
  /** Send Impersonate-User / Impersonate-Group with the caller's Gatehouse identity, so the cluster's own RBAC applies to it. */
  impersonate: z.boolean().default(false),
  /** Groups (comma-separated) whose members see Secret data unmasked. */
  secretsExemptGroups: groupList,
  timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
  maxBodyBytes: z
    .number()
    .int()
    .min(1024)
    .max(256 * 1024 * 1024)
    .default(8 * 1024 * 1024),
});
export type KubernetesSettings = z.infer<typeof settingsSchema>;

const secretSchema = z.object({ token: z.string().optional(), clientKey: z.string().optional() });
export type KubernetesSecret = z.infer<typeof secretSchema>;

/** The groups a connection's setting lists. */
export const exemptGroupsOf = (s: Pick<KubernetesSettings, "secretsExemptGroups">): string[] =>
  (s.secretsExemptGroups ?? "")
    .split(",")
    .map((g) => g.trim())
    .filter(Boolean);

export const kubernetesFormSchema = z.object({
  type: z.literal("kubernetes"),
  name: nameField("path segment (/k8s/<name>/...)"),
  server: z.string().trim().refine(validServer, SERVER_RULE),
  caBundle: optionalTextField(65_536).refine((v) => v === undefined || PEM_CERT.test(v), "PEM certificates"),
  tlsVerify: checkboxField(true),
  /** Write-only: empty keeps the stored token. */
  token: z.string().max(16_384, "at most 16 KiB").optional(),
  clientCert: optionalTextField(65_536).refine((v) => v === undefined || PEM_CERT.test(v), "a PEM certificate"),
  clientKey: z.string().max(65_536).optional(),
  impersonate: checkboxField(false),
  secretsExemptGroups: optionalTextField(2000),
  timeoutMs: optionalNumberField("milliseconds", 100, 600_000),
  maxBodyBytes: optionalNumberField("bytes", 1024, 256 * 1024 * 1024),
  clearSecrets: secretKeysField,
});
export type KubernetesForm = z.infer<typeof kubernetesFormSchema>;

const FIELDS: readonly FieldSpec[] = [
  { key: "server", label: "API server URL", kind: "text", placeholder: "https://10.0.0.1:6443", required: true, wide: true, hint: "kubectl points at https://<gateway>:18888/k8s/<name>." },
  { key: "caBundle", label: "Cluster CA (PEM)", kind: "textarea", wide: true, placeholder: "-----BEGIN CERTIFICATE-----", hint: "The CA the API server's certificate chains to." },
  { key: "tlsVerify", label: "Verify the API server's TLS certificate", kind: "checkbox", hint: "Off accepts any certificate: anyone on the path could read the token." },
  { key: "token", label: "Bearer token", kind: "password", secret: true, hint: "The gateway's credential (a service account token); agents never see it." },
  { key: "clientCert", label: "Client certificate (PEM, instead of a token)", kind: "textarea", wide: true },
  { key: "clientKey", label: "Client key (PEM)", kind: "textarea", secret: true, wide: true, placeholder: "-----BEGIN PRIVATE KEY-----", hint: "Unencrypted, pasted whole; sealed like the token." },
  { key: "impersonate", label: "Impersonate the caller", kind: "checkbox", hint: "Sends Impersonate-User/-Group with the Gatehouse identity, so the cluster's RBAC applies to it." },
  { key: "secretsExemptGroups", label: "Groups that see Secret data", kind: "text", placeholder: "sre, platform", hint: "Everyone else gets Secret values masked." },
  { key: "timeoutMs", label: "API server timeout (ms)", kind: "number", hint: "How long the API server may take to start answering (504 after). Default 30000." },
  { key: "maxBodyBytes", label: "Largest body to buffer (bytes)", kind: "number", hint: "Responses masked whole, requests held for review. Default 8 MiB." },
];

async function readPemFlag(flags: CliFlagValues, flag: string): Promise<string | undefined> {
  const file = stringFlag(flags, flag);
  if (!file) return undefined;
  const { readFileSync } = await import(/* webpackIgnore: true */ "node:fs");
  return readFileSync(file, "utf8");
}

export const kubernetes = {
  type: "kubernetes",
  label: "Kubernetes",
  listener: "kubernetes",
  terminal: null,
  settingsSchema,
  secretSchema,
  parseSettings: (connection) => parseSettingsWith("kubernetes", settingsSchema, connection),
  form: {
    schema: kubernetesFormSchema,
    nameUse: "path segment (https://gateway:18888/k8s/<name>)",
    namePlaceholder: "prod-cluster",
    fields: FIELDS,
    defaults: { server: "", caBundle: "", tlsVerify: "true", token: "", clientCert: "", clientKey: "", impersonate: "false", secretsExemptGroups: "", timeoutMs: "", maxBodyBytes: "" },
    plan: async (form) => {
      const split = splitConnectionForm(FIELDS, form);
      const settings = Object.fromEntries(Object.entries(split.settings).filter(([, v]) => v !== undefined && v !== ""));
      return { ...split, settings };
    },
  },
  test: ({ settings, secret }) => testKubernetesTarget(settings, secret),
  cli: {
    flags: {
      server: { type: "string" },
      "ca-file": { type: "string" },
      token: { type: "string" },
      "client-cert-file": { type: "string" },
      "client-key-file": { type: "string" },
      impersonate: { type: "boolean" },
      "secrets-exempt-groups": { type: "string" },
      insecure: { type: "boolean" },
      "timeout-ms": { type: "string" },
      "max-body-bytes": { type: "string" },
    },
    usage: {
      flags: [
        "--server https://API:6443 [--ca-file ca.pem] (--token T | --client-cert-file C --client-key-file K)",
        "[--impersonate] [--secrets-exempt-groups g1,g2] [--insecure] [--timeout-ms MS] [--max-body-bytes N]",
      ],
      about: "a Kubernetes API server at /k8s/<name>/ (the credential stored encrypted)",
    },
    example: "prod-cluster --type kubernetes --server https://10.0.0.1:6443 --ca-file ca.pem --token $SA_TOKEN",
    parse: async (flags) => {
      const server = stringFlag(flags, "server");
      if (!server || !validServer(server)) throw new FlagUsageError(`--server is required: ${SERVER_RULE}`);
      const token = stringFlag(flags, "token");
      const [caBundle, clientCert, clientKey] = await Promise.all([readPemFlag(flags, "ca-file"), readPemFlag(flags, "client-cert-file"), readPemFlag(flags, "client-key-file")]);
      if (!token && !(clientCert && clientKey)) throw new FlagUsageError("--token (or --client-cert-file with --client-key-file) is required: the credential the gateway uses; agents never see it");
      const num = (flag: string) => {
        const v = stringFlag(flags, flag);
        if (v === undefined) return undefined;
        if (!/^\d+$/.test(v)) throw new FlagUsageError(`--${flag} takes a whole number`);
        return Number(v);
      };
      const raw = {
        server,
        caBundle,
        clientCert,
        tlsVerify: flags.insecure !== true,
        impersonate: flags.impersonate === true,
        secretsExemptGroups: stringFlag(flags, "secrets-exempt-groups"),
        timeoutMs: num("timeout-ms"),
        maxBodyBytes: num("max-body-bytes"),
      };
      const parsed = settingsSchema.safeParse(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)));
      if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
      return { settings: parsed.data, secret: { ...(token ? { token } : {}), ...(clientKey ? { clientKey } : {}) } };
    },
    added: (s) => `${s.server}${s.impersonate ? ", impersonating callers" : ""}`,
    listed: (s) => `${s.server}${s.impersonate ? "\timpersonating callers" : ""}${s.tlsVerify ? "" : "\tTLS not verified"}`,
  },
  address: (s) => {
    const u = new URL(s.server);
    return `${u.hostname}:${u.port || 443}`;
  },
  summary: (s, hasSecret) => [
    { text: s.server, tone: "target" },
    {
      text: `${s.clientCert ? "client certificate" : "bearer token"}${hasSecret ? "" : " · no credential stored"}${s.impersonate ? " · impersonates callers" : ""}`,
      tone: "note",
    },
    ...(s.tlsVerify ? [] : [{ text: "TLS certificate not verified", tone: "warning" as const }]),
  ],
  hostKeyPin: null,
} satisfies ConnectionTypeModule<KubernetesSettings, KubernetesSecret, KubernetesForm>;
