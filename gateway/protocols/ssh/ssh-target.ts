import ssh2, { type Client as SshClient } from "ssh2";

const { Client } = ssh2;
import { sql } from "drizzle-orm";
import type { Db } from "../../../drizzle/client";
import type { ResolvedConnection } from "../../../core/access/resolve-connection";
import { connectionTypeOf } from "../../../core/connections/registry";
import { sshFingerprint } from "../../../core/ssh/host-key";
import type { Dial } from "../../connector/dial";
import { floorTargetPackets } from "./packet-floor";

export type SshTargetSettings = { host: string; port: number; user: string; hostKey?: string; recording?: boolean; allowForwarding?: boolean };

/** A target refused, unreachable, or not the host we pinned: the message is for the client's terminal. */
export class SshTargetError extends Error {}

export function sshSettingsOf(c: ResolvedConnection): SshTargetSettings {
  return connectionTypeOf("ssh").parseSettings(c);
}

/**
 * Opens the gateway's own SSH connection to the target with the credentials it holds (password or
 * private key, never shown to the client) and checks the target's host key against the one pinned
 * on the connection. The first connection pins it (trust on first use, recorded in the connection's
 * settings and the audit log, shown in the console); a different key later is refused.
 */
export async function connectSshTarget(db: Db, c: ResolvedConnection, dial: Dial, onPinned: (fingerprint: string) => void): Promise<SshClient> {
  const s = sshSettingsOf(c);
  const sock = await dial({ host: s.host, port: s.port }).catch((err: Error) => {
    throw new SshTargetError(`cannot reach ${s.host}:${s.port}: ${err.message}`);
  });
  let seen: string | undefined;
  const client = new Client();
  await new Promise<void>((resolve, reject) => {
    const fail = (err: Error & { level?: string }) => {
      if (seen && s.hostKey && seen !== s.hostKey)
        return reject(
          new SshTargetError(`the host key of ${s.host}:${s.port} changed (pinned ${s.hostKey}, offered ${seen}); refusing to connect. An admin must confirm the new key on the connection's page.`),
        );
      if (err.level === "client-authentication") return reject(new SshTargetError(`the target refused the gateway's credentials for ${s.user}@${s.host}:${s.port}`));
      reject(new SshTargetError(`cannot reach ${s.host}:${s.port}: ${err.message}`));
    };
    client.once("ready", () => resolve());
    client.once("error", fail);
    client.connect({
      sock: sock as import("node:stream").Readable,
      host: s.host,
      port: s.port,
      username: s.user,
      password: c.secret.password,
      privateKey: c.secret.privateKey,
      passphrase: c.secret.passphrase,
      readyTimeout: 10_000,
      keepaliveInterval: 15_000,
      hostVerifier: (key: Buffer) => {
        seen = sshFingerprint(key);
        return !s.hostKey || s.hostKey === seen;
      },
    });
    floorTargetPackets(client);
  });
  client.on("error", () => {}); // later errors end the channels; the session reports them
  if (!s.hostKey && seen) {
    // Pin only if nobody pinned meanwhile (another instance, the console).
    await db.execute(
      sql`update connections set settings = settings || jsonb_build_object('hostKey', ${seen}::text, 'hostKeyPinnedAt', now()::text) where id = ${c.id}::uuid and not settings ? 'hostKey'`,
    );
    onPinned(seen);
  }
  return client;
}
