import { z } from "zod";
import { CONNECTION_NAME, CONNECTION_NAME_RULE, PG_SSL_MODES, type ConnectionType } from "../../gateway/admin/connection-settings";

/**
 * The connection form, per type: the fields the page renders and the zod schema the server (and
 * the browser, for early hints) checks. A new type is a new entry here plus its tester; the page
 * and the save path are generic. Fields marked `secret` are sealed and write-only.
 * Pure (no server-only): the form component imports it.
 */
export type FieldSpec = {
  key: string;
  label: string;
  kind: "text" | "number" | "password" | "select";
  options?: readonly string[];
  placeholder?: string;
  hint?: string;
  /** Stored sealed; never sent back to the browser. */
  secret?: boolean;
  required?: boolean;
};

export type ConnectionTypeSpec = {
  type: ConnectionType;
  label: string;
  available: boolean;
  fields: readonly FieldSpec[];
  defaults: Record<string, string>;
};

const name = z.string().trim().regex(CONNECTION_NAME, `${CONNECTION_NAME_RULE} (clients use it as the database name)`);
const secretKeys = z.array(z.string()).max(10).optional();

export const postgresFormSchema = z.object({
  type: z.literal("postgres"),
  name,
  host: z.string().trim().min(1, "the target's host name or address").max(255, "at most 255 characters"),
  port: z.coerce.number("a port number").int("a whole number").min(1, "a port from 1 to 65535").max(65535, "a port from 1 to 65535"),
  database: z.string().trim().min(1, "the database on the target").max(63, "at most 63 characters"),
  user: z.string().trim().min(1, "the role the gateway signs in as").max(63, "at most 63 characters"),
  /** Write-only: empty keeps the stored password. */
  password: z.string().max(1000, "at most 1000 characters").optional(),
  sslmode: z.enum(PG_SSL_MODES, "choose a TLS mode"),
  /** Secret fields whose stored value should be removed. */
  clearSecrets: secretKeys,
});
export type PostgresForm = z.infer<typeof postgresFormSchema>;

export const connectionFormSchema = z.discriminatedUnion("type", [postgresFormSchema]);
export type ConnectionForm = z.infer<typeof connectionFormSchema>;

const POSTGRES: ConnectionTypeSpec = {
  type: "postgres",
  label: "PostgreSQL",
  available: true,
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

/** Listed so the form shows where they will go; refused by the schema until their adapters exist. */
const COMING: ConnectionTypeSpec[] = (
  [
    ["mysql", "MySQL / MariaDB"],
    ["ssh", "SSH"],
    ["http", "HTTP API"],
    ["kubernetes", "Kubernetes"],
  ] as const
).map(([type, label]) => ({ type, label, available: false, fields: [], defaults: {} }));

export const CONNECTION_FORMS: readonly ConnectionTypeSpec[] = [POSTGRES, ...COMING];

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
  const values = form as unknown as Record<string, string | number | undefined>;
  const settings: Record<string, string | number> = {};
  const typedSecrets: Record<string, string> = {};
  for (const f of spec.fields) {
    const v = values[f.key];
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
