import { z } from "zod";
import { SSH_HOST_KEY_FINGERPRINT, SSH_HOST_KEY_FINGERPRINT_RULE } from "../connection-settings";
import { parseSettingsWith, stringFlag, type ConnectionTypeModule } from "../connection-type";
import { checkboxField, hostField, nameField, portField, secretKeysField, splitConnectionForm, type FieldSpec } from "../form-fields";
import { planSshSecrets, readPrivateKeyFile, settleHostKey, SSH_AUTH_METHODS, testSshTarget, type SshAuthMethod } from "./ssh-credentials";

/** Stored settings; what is missing reads as it always has (port 22, recording on, forwarding off). */
const settingsSchema = z.object({
  host: z.string().min(1).default("127.0.0.1"),
  port: z.number().int().min(1).max(65535).default(22),
  user: z.string().min(1).default("root"),
  /** The target's pinned host key; unset until the first connection (or an admin) pins it. */
  hostKey: z.string().regex(SSH_HOST_KEY_FINGERPRINT, SSH_HOST_KEY_FINGERPRINT_RULE).optional(),
  hostKeyPinnedAt: z.string().optional(),
  /** The console user who typed the pin in; unset when the gateway pinned it at first use. */
  hostKeyPinnedBy: z.string().optional(),
  recording: z.boolean().default(true),
  allowForwarding: z.boolean().default(false),
});
export type SshSettings = z.infer<typeof settingsSchema>;

const secretSchema = z.object({ password: z.string().optional(), privateKey: z.string().optional(), passphrase: z.string().optional() });
export type SshSecret = z.infer<typeof secretSchema>;

export const sshFormSchema = z.object({
  type: z.literal("ssh"),
  name: nameField("SSH user name"),
  host: hostField,
  port: portField,
  user: z
    .string()
    .trim()
    .min(1, "the account the gateway logs in as on the target")
    .max(64, "at most 64 characters")
    .regex(/^[^\s@:]+$/, "no spaces, '@' or ':'"),
  /** Which credential the gateway logs in with; the other one is removed on save. Absent: whichever is stored. */
  auth: z.enum(SSH_AUTH_METHODS, "choose a private key or a password").optional(),
  /** Write-only, like the password: empty keeps the stored key. Checked on the server with ssh2. */
  privateKey: z.string().max(16_384, "at most 16 KiB: paste one private key").optional(),
  password: z.string().max(1000, "at most 1000 characters").optional(),
  recording: checkboxField(true),
  allowForwarding: checkboxField(false),
  /** Pins the target's host key up front; empty leaves it to the first connection (or keeps the pinned one). */
  hostKey: z
    .string()
    .trim()
    .refine((v) => v === "" || SSH_HOST_KEY_FINGERPRINT.test(v), SSH_HOST_KEY_FINGERPRINT_RULE)
    .optional()
    .transform((v) => v || undefined),
  clearSecrets: secretKeysField,
});
export type SshForm = z.infer<typeof sshFormSchema>;

const FIELDS: readonly FieldSpec[] = [
  { key: "host", label: "Host", kind: "text", placeholder: "bastion.internal", required: true },
  { key: "port", label: "Port", kind: "number", required: true, hint: "1-65535; SSH listens on 22 by default." },
  { key: "user", label: "User", kind: "text", placeholder: "deploy", required: true, hint: "The account the gateway logs in as on the target; agents never see its credential." },
  {
    key: "auth",
    label: "Log in with",
    kind: "select",
    options: SSH_AUTH_METHODS,
    optionLabels: { privateKey: "a private key", password: "a password" },
    formOnly: true,
    hint: "Switching removes the other stored credential when you save.",
  },
  {
    key: "privateKey",
    label: "Private key",
    kind: "textarea",
    secret: true,
    removable: false,
    wide: true,
    showWhen: { key: "auth", is: "privateKey" },
    placeholder: "-----BEGIN OPENSSH PRIVATE KEY-----",
    hint: "An unencrypted OpenSSH or PEM private key, pasted whole.",
  },
  { key: "password", label: "Password", kind: "password", secret: true, removable: false, showWhen: { key: "auth", is: "password" } },
  {
    key: "hostKey",
    label: "Host key fingerprint (optional)",
    kind: "text",
    placeholder: "SHA256:…",
    wide: true,
    hiddenOnceStored: true,
    hint: "Pins the target's key up front, as ssh-keygen -lf prints it. Empty: the first connection pins the key it sees.",
  },
  { key: "recording", label: "Record terminal sessions", kind: "checkbox", hint: "Shells are recorded for replay, with the masking detectors applied." },
  { key: "allowForwarding", label: "Allow port forwarding", kind: "checkbox", hint: "Local (-L) forwarding to hosts the target reaches; remote (-R) is always refused." },
];

/** The settings keys that describe a pin; forgetting the pin removes them all. */
export const HOST_KEY_SETTINGS = ["hostKey", "hostKeyPinnedAt", "hostKeyPinnedBy"] as const;

/** The credential a test logs in with: the form's choice, else the one the secret holds (the list's Test sends no choice). */
const authOf = (form: Pick<SshForm, "auth">, secret: SshSecret): SshAuthMethod => form.auth ?? (secret.privateKey || !secret.password ? "privateKey" : "password");

export const ssh = {
  type: "ssh",
  label: "SSH",
  listener: "ssh",
  terminal: "ssh-shell",
  settingsSchema,
  secretSchema,
  parseSettings: (connection) => parseSettingsWith("ssh", settingsSchema, connection),
  form: {
    schema: sshFormSchema,
    nameUse: "SSH user name (ssh <name>@gateway)",
    namePlaceholder: "ssh-bastion",
    fields: FIELDS,
    defaults: { host: "", port: "22", user: "", auth: "privateKey", privateKey: "", password: "", recording: "true", allowForwarding: "false", hostKey: "" },
    // The credential shown is the one stored; a pinned host key is shown apart from the form (never sent back by it).
    editValues: (_settings, stored) => ({ auth: stored.includes("password") && !stored.includes("privateKey") ? "password" : "privateKey", hostKey: "" }),
    plan: async (form, stored, by) => {
      const split = splitConnectionForm(FIELDS, form);
      const { typedSecrets, clearSecrets } = await planSshSecrets(form, split.typedSecrets, split.clearSecrets, stored.secretKeys);
      const settings = settleHostKey(split.settings, stored.settings, by.email, by.now);
      // A pin the gateway writes between reading the row and the update is kept too.
      return { settings, typedSecrets, clearSecrets, keepStoredSettings: typeof settings.hostKey === "string" ? undefined : HOST_KEY_SETTINGS };
    },
  },
  // A fingerprint typed into the form is what an unsaved pin would be (the plan put it in the settings); else the connection's own pin.
  test: ({ settings, secret, form }) => testSshTarget({ host: settings.host, port: settings.port, user: settings.user, auth: authOf(form, secret), secret, pinnedHostKey: settings.hostKey }),
  cli: {
    flags: {
      host: { type: "string" },
      port: { type: "string" },
      user: { type: "string" },
      password: { type: "string" },
      "private-key-file": { type: "string" },
      "host-key": { type: "string" },
      recording: { type: "string" },
      "allow-forwarding": { type: "boolean" },
    },
    usage: {
      flags: ["--host H [--port P] --user U (--password PW | --private-key-file F)", "[--host-key SHA256:...] [--recording off] [--allow-forwarding]"],
      about: "an SSH target (host key pinned at first use unless given)",
    },
    example: "<name> --type ssh --host H --user U --private-key-file F",
    parse: async (flags) => {
      const [host, user, password, keyFile, hostKey] = [
        stringFlag(flags, "host"),
        stringFlag(flags, "user"),
        stringFlag(flags, "password"),
        stringFlag(flags, "private-key-file"),
        stringFlag(flags, "host-key"),
      ];
      if (!host) throw new Error("--host is required");
      if (!user) throw new Error("--user is required (the account the gateway logs in as on the target)");
      const port = stringFlag(flags, "port") ? Number(flags.port) : 22;
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error("--port must be a TCP port (1-65535)");
      if (!password && !keyFile) throw new Error("give --password or --private-key-file: the gateway holds the target's credential");
      if (hostKey && !SSH_HOST_KEY_FINGERPRINT.test(hostKey)) throw new Error("--host-key is a SHA256 fingerprint as `ssh-keygen -lf` prints it: SHA256:<43 characters>");
      const secret: SshSecret = {};
      if (password) secret.password = password;
      if (keyFile) secret.privateKey = await readPrivateKeyFile(keyFile);
      const settings: SshSettings = { host, port, user, recording: flags.recording !== "off", allowForwarding: flags["allow-forwarding"] === true };
      if (hostKey) settings.hostKey = hostKey;
      return { settings, secret };
    },
    added: (s) => `${s.user}@${s.host}:${s.port}${s.hostKey ? `, host key ${s.hostKey}` : ", host key pinned at first use"}`,
    listed: (s) => `${s.user}@${s.host}:${s.port}\t${s.hostKey ? `host key ${s.hostKey}` : "host key not pinned yet"}`,
  },
  address: (s) => `${s.host}:${s.port}`,
  // The pin's state and the switches; the full fingerprint is on the connection's page.
  summary: (s, hasSecret) => [
    { text: `${s.user}@${s.host}:${s.port}`, tone: "target" },
    s.hostKey ? { text: `host key ${s.hostKey.slice(0, 19)}… pinned`, tone: "target", title: s.hostKey } : { text: "host key not pinned yet", tone: "warning" },
    { text: `recording ${s.recording ? "on" : "off"} · forwarding ${s.allowForwarding ? "allowed" : "off"}${hasSecret ? "" : " · no credential stored"}`, tone: "note" },
  ],
  hostKeyPin: {
    settingsKeys: HOST_KEY_SETTINGS,
    read: (s) => ({ host: s.host, port: s.port, hostKey: s.hostKey, pinnedAt: s.hostKeyPinnedAt, pinnedBy: s.hostKeyPinnedBy }),
  },
} satisfies ConnectionTypeModule<SshSettings, SshSecret, SshForm>;
