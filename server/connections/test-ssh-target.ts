import ssh2, { type ClientErrorExtensions } from "ssh2";
import { sshFingerprint } from "../../core/ssh/host-key";
import { describeConnectError } from "./connect-error";
import type { SshAuthMethod } from "./connection-forms";

// No "server-only" marker: a unit test runs it against a private sshd. Only server code imports it.
const { Client } = ssh2;

/** What the target showed of its host key, next to the one pinned (on the connection, or typed in the form). */
export type HostKeyCheck = { fingerprint: string; pinned: string | null; matches: boolean | null };

export type SshTestResult =
  | { ok: true; serverVersion: string; ms: number; hostKey: HostKeyCheck }
  | { ok: false; error: string; ms: number; hostKey?: HostKeyCheck };

export type SshTestTarget = { host: string; port: number; user: string; auth: SshAuthMethod; secret: Record<string, string>; pinnedHostKey?: string };

export const SSH_TEST_TIMEOUT_MS = 10_000;

/**
 * Logs in to the target as the gateway would (the same credential, no keyboard-interactive), reads
 * its host key and compares it with the pinned one. A key that does not match the pin ends the
 * handshake before the credential is sent, as the gateway's own connection does.
 */
export async function testSshTarget(t: SshTestTarget): Promise<SshTestResult> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
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
        host: t.host, port: t.port, username: t.user,
        ...(t.auth === "privateKey" ? { privateKey: t.secret.privateKey } : { password: t.secret.password }),
        readyTimeout: SSH_TEST_TIMEOUT_MS,
        hostVerifier: (key: Buffer) => {
          seen = sshFingerprint(key);
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
