import ssh2 from "ssh2";
import type { ConnectionSettings } from "../../core/connections/connection-settings";
import { AppError } from "../errors/app-error";
import type { SshAuthMethod, SshForm } from "./connection-forms";

// No "server-only" marker: the unit tests import this. Only server code does (ssh2 is Node-only).
const { utils } = ssh2;

/** Why ssh2 cannot use a pasted private key (the gateway reads it the same way), or undefined when it can. */
export function privateKeyIssue(text: string): string | undefined {
  const parsed = utils.parseKey(text);
  if (parsed instanceof Error) {
    if (/encrypted/i.test(parsed.message)) return "this key is encrypted with a passphrase; paste an unencrypted key (ssh-keygen -p -N '' -f <file> removes the passphrase of a copy)";
    return `this is not a private key ssh2 can read (${parsed.message}); paste an OpenSSH or PEM private key whole, from -----BEGIN to -----END`;
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key) return "no key found in the text; paste an OpenSSH or PEM private key whole";
  if (!key.isPrivateKey()) return "this is a public key; paste the private half (the file without .pub)";
  return undefined;
}

/** Pasted keys arrive with Windows line ends or stray blank lines; ssh2 and OpenSSH want one key, LF-ended. */
export function normalizePrivateKey(text: string): string {
  return `${text.replace(/\r\n?/g, "\n").trim()}\n`;
}

/** The credential the form chose, else the one typed, else the one stored (the list's Test sends no choice). */
export function sshAuthOf(form: Pick<SshForm, "auth">, typed: Record<string, string>, stored: readonly string[]): SshAuthMethod {
  if (form.auth) return form.auth;
  if (typed.privateKey) return "privateKey";
  if (typed.password) return "password";
  return stored.includes("password") && !stored.includes("privateKey") ? "password" : "privateKey";
}

/**
 * The secrets an SSH save (or test) writes: the typed private key checked with ssh2 and normalised,
 * nothing typed into the hidden credential field, and the other credential removed when the chosen
 * one is new (switching from a key to a password drops the key). Throws a field error when the key
 * cannot be read or no credential would be left.
 */
export function planSshSecrets(form: SshForm, typed: Record<string, string>, clear: readonly string[], stored: readonly string[]) {
  const auth = sshAuthOf(form, typed, stored);
  const other: SshAuthMethod = auth === "privateKey" ? "password" : "privateKey";
  const typedSecrets: Record<string, string> = {};
  if (typed[auth]) typedSecrets[auth] = auth === "privateKey" ? normalizePrivateKey(typed[auth]) : typed[auth];
  if (typedSecrets.privateKey) {
    const issue = privateKeyIssue(typedSecrets.privateKey);
    if (issue) throw new AppError("INVALID_INPUT", `the private key cannot be used: ${issue}`, { privateKey: issue });
  }
  const keeps = stored.includes(auth) && !clear.includes(auth);
  if (!typedSecrets[auth] && !keeps) {
    const message = auth === "privateKey" ? "paste the private key the gateway logs in with" : "type the password the gateway logs in with";
    throw new AppError("INVALID_INPUT", `an SSH connection needs a credential: ${message}`, { [auth]: message });
  }
  const switching = Boolean(typedSecrets[auth]) || !stored.includes(auth);
  const clearSecrets = [...new Set([...clear.filter((k) => k === other), ...(switching && stored.includes(other) ? [other] : [])])];
  return { auth, typedSecrets, clearSecrets };
}

/**
 * The host key settings to store: a fingerprint typed into the form pins it (by this admin, now);
 * an empty field, or the one already pinned, keeps the stored pin as it is, so a save never drops a
 * key the gateway pinned while the form was open. Forgetting a pin has its own action.
 */
export function settleHostKey(next: ConnectionSettings, stored: ConnectionSettings | null | undefined, pinnedBy: string, now: Date): ConnectionSettings {
  const { hostKey: typed, hostKeyPinnedAt: _at, hostKeyPinnedBy: _by, ...rest } = next;
  const pinned = typeof stored?.hostKey === "string" ? stored.hostKey : undefined;
  if (typeof typed === "string" && typed !== "" && typed !== pinned) return { ...rest, hostKey: typed, hostKeyPinnedAt: now.toISOString(), hostKeyPinnedBy: pinnedBy };
  if (!pinned || !stored) return rest;
  const kept: ConnectionSettings = { ...rest, hostKey: pinned };
  if (stored.hostKeyPinnedAt !== undefined) kept.hostKeyPinnedAt = stored.hostKeyPinnedAt;
  if (stored.hostKeyPinnedBy !== undefined) kept.hostKeyPinnedBy = stored.hostKeyPinnedBy;
  return kept;
}

/** The settings keys that describe a pin; forgetting the pin removes them all. */
export const HOST_KEY_SETTINGS = ["hostKey", "hostKeyPinnedAt", "hostKeyPinnedBy"] as const;
