import { z } from "zod";
import {
  CONNECTION_NAME, CONNECTION_NAME_RULE, PG_SSL_MODES, SSH_HOST_KEY_FINGERPRINT, SSH_HOST_KEY_FINGERPRINT_RULE, type ConnectionSettings, type ConnectionType,
} from "../../core/connections/connection-settings";

/**
 * The connection form, per type: the fields the page renders and the zod schema the server (and
 * the browser, for early hints) checks. A new type is a new entry here plus its tester; the page
 * and the save path are generic. Fields marked `secret` are sealed and write-only.
 * Pure (no server-only): the form component imports it.
 */
export type FieldSpec = {
  key: string;
  label: string;
  kind: "text" | "number" | "password" | "select" | "textarea" | "checkbox";
  options?: readonly string[];
  /** What a select shows for each option (default: the option itself). */
  optionLabels?: Record<string, string>;
  placeholder?: string;
  hint?: string;
  /** Stored sealed; never sent back to the browser. */
  secret?: boolean;
  /** A stored secret can be removed with a checkbox (default); false where switching the credential removes it. */
  removable?: boolean;
  required?: boolean;
  /** Takes the whole width of the form. */
  wide?: boolean;
  /** Steers the form (which fields show, which secret goes); never stored. */
  formOnly?: boolean;
  /** Shown only while another field has this value. */
  showWhen?: { key: string; is: string };
  /**
   * Offered only while the connection holds no value for it: once one is stored, the edit page
   * shows it in its own section with its own action, and saving the form keeps it (the SSH host key pin).
   */
  hiddenOnceStored?: boolean;
};

export type FieldValues = Record<string, string>;

export type ConnectionTypeSpec = {
  type: ConnectionType;
  label: string;
  available: boolean;
  /** What clients give the connection's name as, and an example name. */
  nameUse?: string;
  namePlaceholder?: string;
  fields: readonly FieldSpec[];
  defaults: FieldValues;
  /** Form values an edit starts from that the stored settings do not hold as they are. */
  editValues?: (settings: ConnectionSettings, storedSecrets: readonly string[]) => FieldValues;
};

const nameField = (usedAs: string) => z.string().trim().regex(CONNECTION_NAME, `${CONNECTION_NAME_RULE} (clients use it as the ${usedAs})`);
const secretKeys = z.array(z.string()).max(10).optional();
const host = z.string().trim().min(1, "the target's host name or address").max(255, "at most 255 characters");
const port = z.coerce.number("a port number").int("a whole number").min(1, "a port from 1 to 65535").max(65535, "a port from 1 to 65535");
/** A checkbox: the form sends "true"/"false", a stored row (the list's Test) a boolean; absent is the default. */
const checkbox = (byDefault: boolean) =>
  z.preprocess((v) => (v === undefined || v === "" ? byDefault : v === "true" ? true : v === "false" ? false : v), z.boolean("tick or untick it"));

export const postgresFormSchema = z.object({
  type: z.literal("postgres"),
  name: nameField("database name"),
  host,
  port,
  database: z.string().trim().min(1, "the database on the target").max(63, "at most 63 characters"),
  user: z.string().trim().min(1, "the role the gateway signs in as").max(63, "at most 63 characters"),
  /** Write-only: empty keeps the stored password. */
  password: z.string().max(1000, "at most 1000 characters").optional(),
  sslmode: z.enum(PG_SSL_MODES, "choose a TLS mode"),
  /** Secret fields whose stored value should be removed. */
  clearSecrets: secretKeys,
});
export type PostgresForm = z.infer<typeof postgresFormSchema>;

export const SSH_AUTH_METHODS = ["privateKey", "password"] as const;
export type SshAuthMethod = (typeof SSH_AUTH_METHODS)[number];

export const sshFormSchema = z.object({
  type: z.literal("ssh"),
  name: nameField("SSH user name"),
  host,
  port,
  user: z.string().trim().min(1, "the account the gateway logs in as on the target").max(64, "at most 64 characters").regex(/^[^\s@:]+$/, "no spaces, '@' or ':'"),
  /** Which credential the gateway logs in with; the other one is removed on save. Absent: whichever is stored. */
  auth: z.enum(SSH_AUTH_METHODS, "choose a private key or a password").optional(),
  /** Write-only, like the password: empty keeps the stored key. Checked on the server with ssh2. */
  privateKey: z.string().max(16_384, "at most 16 KiB: paste one private key").optional(),
  password: z.string().max(1000, "at most 1000 characters").optional(),
  recording: checkbox(true),
  allowForwarding: checkbox(false),
  /** Pins the target's host key up front; empty leaves it to the first connection (or keeps the pinned one). */
  hostKey: z
    .string()
    .trim()
    .refine((v) => v === "" || SSH_HOST_KEY_FINGERPRINT.test(v), SSH_HOST_KEY_FINGERPRINT_RULE)
    .optional()
    .transform((v) => v || undefined),
  clearSecrets: secretKeys,
});
export type SshForm = z.infer<typeof sshFormSchema>;

export const connectionFormSchema = z.discriminatedUnion("type", [postgresFormSchema, sshFormSchema]);
export type ConnectionForm = z.infer<typeof connectionFormSchema>;

const POSTGRES: ConnectionTypeSpec = {
  type: "postgres",
  label: "PostgreSQL",
  available: true,
  nameUse: "database name",
  namePlaceholder: "pg-prod",
  defaults: { host: "", port: "5432", database: "", user: "", password: "", sslmode: "prefer" },
  fields: [
    { key: "host", label: "Host", kind: "text", placeholder: "db.internal", required: true },
    { key: "port", label: "Port", kind: "number", required: true, hint: "1-65535; Postgres listens on 5432 by default." },
    { key: "database", label: "Database", kind: "text", placeholder: "shop", required: true, hint: "The database on the target." },
    { key: "user", label: "User", kind: "text", required: true, hint: "The role the gateway signs in as; agents never see it." },
    { key: "password", label: "Password", kind: "password", secret: true },
    { key: "sslmode", label: "TLS to the target", kind: "select", options: PG_SSL_MODES, hint: "prefer: TLS when the target offers it; verify-full also checks its certificate." },
  ],
};

const SSH: ConnectionTypeSpec = {
  type: "ssh",
  label: "SSH",
  available: true,
  nameUse: "SSH user name (ssh <name>@gateway)",
  namePlaceholder: "ssh-bastion",
  defaults: { host: "", port: "22", user: "", auth: "privateKey", privateKey: "", password: "", recording: "true", allowForwarding: "false", hostKey: "" },
  // The credential shown is the one stored; a pinned host key is shown apart from the form (never sent back by it).
  editValues: (_settings, stored) => ({ auth: stored.includes("password") && !stored.includes("privateKey") ? "password" : "privateKey", hostKey: "" }),
  fields: [
    { key: "host", label: "Host", kind: "text", placeholder: "bastion.internal", required: true },
    { key: "port", label: "Port", kind: "number", required: true, hint: "1-65535; SSH listens on 22 by default." },
    { key: "user", label: "User", kind: "text", placeholder: "deploy", required: true, hint: "The account the gateway logs in as on the target; agents never see its credential." },
    {
      key: "auth", label: "Log in with", kind: "select", options: SSH_AUTH_METHODS, optionLabels: { privateKey: "a private key", password: "a password" }, formOnly: true,
      hint: "Switching removes the other stored credential when you save.",
    },
    {
      key: "privateKey", label: "Private key", kind: "textarea", secret: true, removable: false, wide: true, showWhen: { key: "auth", is: "privateKey" },
      placeholder: "-----BEGIN OPENSSH PRIVATE KEY-----", hint: "An unencrypted OpenSSH or PEM private key, pasted whole.",
    },
    { key: "password", label: "Password", kind: "password", secret: true, removable: false, showWhen: { key: "auth", is: "password" } },
    {
      key: "hostKey", label: "Host key fingerprint (optional)", kind: "text", placeholder: "SHA256:…", wide: true, hiddenOnceStored: true,
      hint: "Pins the target's key up front, as `ssh-keygen -lf` prints it. Empty: the first connection pins the key it sees.",
    },
    { key: "recording", label: "Record terminal sessions", kind: "checkbox", hint: "Shells are recorded for replay, with the masking detectors applied." },
    { key: "allowForwarding", label: "Allow port forwarding", kind: "checkbox", hint: "Local (-L) forwarding to hosts the target reaches; remote (-R) is always refused." },
  ],
};

/** Listed so the form shows where they will go; refused by the schema until their adapters exist. */
const COMING: ConnectionTypeSpec[] = (
  [
    ["mysql", "MySQL / MariaDB"],
    ["http", "HTTP API"],
    ["kubernetes", "Kubernetes"],
  ] as const
).map(([type, label]) => ({ type, label, available: false, fields: [], defaults: {} }));

export const CONNECTION_FORMS: readonly ConnectionTypeSpec[] = [POSTGRES, SSH, ...COMING];

export function formSpecOf(type: string): ConnectionTypeSpec | undefined {
  return CONNECTION_FORMS.find((s) => s.type === type && s.available);
}

/**
 * Splits a checked form into what is stored in the clear (settings), the secrets typed into it
 * (empty fields are "keep"), and the secrets to remove.
 */
export function splitConnectionForm(form: ConnectionForm) {
  const spec = formSpecOf(form.type);
  if (!spec) throw new Error(`connections of type ${form.type} are not available yet`);
  const values = form as unknown as Record<string, string | number | boolean | undefined>;
  const settings: ConnectionSettings = {};
  const typedSecrets: Record<string, string> = {};
  for (const f of spec.fields) {
    const v = values[f.key];
    if (f.formOnly) continue;
    if (f.secret) {
      if (typeof v === "string" && v !== "") typedSecrets[f.key] = v;
    } else if (v !== undefined) settings[f.key] = v;
  }
  const secretFields = spec.fields.filter((f) => f.secret).map((f) => f.key);
  const clearSecrets = (form.clearSecrets ?? []).filter((k) => secretFields.includes(k) && !(k in typedSecrets));
  return { settings, typedSecrets, clearSecrets };
}

/**
 * The secret to store after an edit: the stored one, with typed fields replaced and cleared ones
 * removed. Undefined when nothing changes, so the sealed value is left untouched.
 */
export function mergeSecret(stored: Record<string, string> | null, typed: Record<string, string>, clear: string[]): Record<string, string> | undefined {
  if (Object.keys(typed).length === 0 && !clear.some((k) => stored && k in stored)) return undefined;
  const next = { ...(stored ?? {}), ...typed };
  for (const k of clear) delete next[k];
  return next;
}
