import type { ClientErrorExtensions } from "ssh2";
import { describeConnectError } from "../connect-error";
import type { ConnectionSettings } from "../connection-settings";
import { ConnectionFieldError, type HostKeyCheck } from "../connection-type";
import { loadSsh2 } from "../../ssh/load-ssh2";

/**
 * The SSH type's credential and target work: reading a private key as the gateway will, planning
 * which credential a save keeps, the host key pin a save writes, and the console's test login.
 * ssh2 and node:* are Node-only and this file reaches the browser with the form, so they are
 * loaded when a function needs them (on the server, the CLI or in tests), never at the top.
 */

export const SSH_AUTH_METHODS = ["privateKey", "password"] as const;
export type SshAuthMethod = (typeof SSH_AUTH_METHODS)[number];

/** Why ssh2 cannot use a pasted private key (the gateway reads it the same way), or undefined when it can. */
export async function privateKeyIssue(text: string): Promise<string | undefined> {
  const parsed = (await loadSsh2()).utils.parseKey(text);
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

/** The CLI's --private-key-file, read and checked with ssh2 as the gateway will read it. */
export async function readPrivateKeyFile(file: string): Promise<string> {
  const { readFileSync } = await import(/* webpackIgnore: true */ "node:fs");
  const key = readFileSync(file, "utf8");
  const parsed = (await loadSsh2()).utils.parseKey(key);
  if (parsed instanceof Error) throw new Error(`the private key in ${file} cannot be read: ${parsed.message} (an encrypted key is not supported; give an unencrypted one)`);
  return key;
}

/** The credential the form chose, else the one typed, else the one stored (the list's Test sends no choice). */
export function sshAuthOf(form: { auth?: SshAuthMethod }, typed: Record<string, string>, stored: readonly string[]): SshAuthMethod {
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
export async function planSshSecrets(form: { auth?: SshAuthMethod }, typed: Record<string, string>, clear: readonly string[], stored: readonly string[]) {
  const auth = sshAuthOf(form, typed, stored);
  const other: SshAuthMethod = auth === "privateKey" ? "password" : "privateKey";
  const typedSecrets: Record<string, string> = {};
  if (typed[auth]) typedSecrets[auth] = auth === "privateKey" ? normalizePrivateKey(typed[auth]) : typed[auth];
  if (typedSecrets.privateKey) {
    const issue = await privateKeyIssue(typedSecrets.privateKey);
    if (issue) throw new ConnectionFieldError(`the private key cannot be used: ${issue}`, { privateKey: issue });
  }
  const keeps = stored.includes(auth) && !clear.includes(auth);
  if (!typedSecrets[auth] && !keeps) {
    const message = auth === "privateKey" ? "paste the private key the gateway logs in with" : "type the password the gateway logs in with";
    throw new ConnectionFieldError(`an SSH connection needs a credential: ${message}`, { [auth]: message });
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

export type SshTestResult = { ok: true; serverVersion: string; ms: number; hostKey: HostKeyCheck } | { ok: false; error: string; ms: number; hostKey?: HostKeyCheck };

export type SshTestTarget = { host: string; port: number; user: string; auth: SshAuthMethod; secret: { password?: string; privateKey?: string }; pinnedHostKey?: string };

export const SSH_TEST_TIMEOUT_MS = 10_000;

/**
 * Logs in to the target as the gateway would (the same credential, no keyboard-interactive), reads
 * its host key and compares it with the pinned one. A key that does not match the pin ends the
 * handshake before the credential is sent, as the gateway's own connection does.
 */
export async function testSshTarget(t: SshTestTarget): Promise<SshTestResult> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const [{ Client }, { createHash }] = await Promise.all([loadSsh2(), import(/* webpackIgnore: true */ "node:crypto")]);
  // As core/ssh/host-key.ts sshFingerprint (and ssh-keygen -lf) print it.
  const fingerprint = (key: Buffer) => "SHA256:" + createHash("sha256").update(key).digest("base64").replace(/=+$/, "");
  const pinned = t.pinnedHostKey ?? null;
  let seen: string | undefined;
  const check = (): HostKeyCheck | undefined => (seen ? { fingerprint: seen, pinned, matches: pinned ? seen === pinned : null } : undefined);
  const client = new Client();
  try {
    await new Promise<void>((resolve, reject) => {
      // ssh2's readyTimeout covers the handshake and the login; this catches anything it misses.
      const timer = setTimeout(() => reject(Object.assign(new Error("timed out"), { level: "client-timeout" })), SSH_TEST_TIMEOUT_MS + 1000);
      client.once("ready", () => (clearTimeout(timer), resolve()));
      client.once("error", (err) => (clearTimeout(timer), reject(err)));
      client.connect({
        host: t.host,
        port: t.port,
        username: t.user,
        ...(t.auth === "privateKey" ? { privateKey: t.secret.privateKey } : { password: t.secret.password }),
        readyTimeout: SSH_TEST_TIMEOUT_MS,
        hostVerifier: (key: Buffer) => {
          seen = fingerprint(key);
          return !pinned || seen === pinned;
        },
      });
    });
    const remote = (client as unknown as { _remoteVer?: string })._remoteVer;
    return { ok: true, serverVersion: remote ? `SSH server ${remote}` : "SSH server", ms: ms(), hostKey: check()! };
  } catch (err) {
    return { ok: false, error: describeSshError(err as Error & ClientErrorExtensions, t, seen), ms: ms(), hostKey: check() };
  } finally {
    client.on("error", () => {});
    client.end();
  }
}

function describeSshError(err: Error & ClientErrorExtensions & { code?: string }, t: SshTestTarget, seen: string | undefined): string {
  const where = `${t.host}:${t.port}`;
  if (seen && t.pinnedHostKey && seen !== t.pinnedHostKey) {
    return `the host key of ${where} is ${seen}, not the pinned ${t.pinnedHostKey}; the credential was not sent. If the target's key really changed, compare it with ssh-keygen -lf on the target before pinning the new one.`;
  }
  if (err.level === "client-authentication") return `authentication failed for user ${t.user} on ${where}: the target refused the ${t.auth === "privateKey" ? "private key" : "password"}`;
  if (err.level === "client-timeout") return `no answer from ${where} within ${SSH_TEST_TIMEOUT_MS / 1000} s: check the host, the port and any firewall`;
  if (err.code === "ECONNREFUSED") return `connection refused by ${where}: nothing listens on that port`;
  if (err.code === "ENOTFOUND" || err.code === "EAI_AGAIN") return `the host name ${t.host} cannot be resolved`;
  return `${where}: ${describeConnectError(err, [t.secret.password ?? "", t.secret.privateKey ?? ""])}`;
}
