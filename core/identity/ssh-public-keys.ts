import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { identities, sshPublicKeys } from "../../drizzle/schema/index";
import { sshFingerprint } from "../ssh/host-key";
import { loadSsh2 } from "../ssh/load-ssh2";
import { publish } from "../bus/event-bus";
import type { Identity } from "./identity";

/** Parses an OpenSSH public key line; throws a readable error for anything else (a private key included). */
export async function parsePublicKey(line: string): Promise<{ fingerprint: string; type: string; normalized: string }> {
  const trimmed = line.trim();
  if (/PRIVATE KEY/.test(trimmed)) throw new Error("this is a private key: register the public half (the .pub file)");
  const parsed = (await loadSsh2()).utils.parseKey(trimmed);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error) throw new Error(`not an SSH public key${key instanceof Error ? ` (${key.message})` : ""}: expected a line such as "ssh-ed25519 AAAA... name"`);
  if (key.isPrivateKey()) throw new Error("this is a private key: register the public half (the .pub file)");
  const blob = key.getPublicSSH();
  return { fingerprint: sshFingerprint(blob), type: key.type, normalized: `${key.type} ${blob.toString("base64")}` };
}

/** Registers a public key for an existing identity (a key registered by anyone else is refused). */
export async function addSshPublicKey(db: Db, input: { identity: string; publicKey: string; name?: string }) {
  const k = await parsePublicKey(input.publicKey);
  const [identity] = await db.select({ id: identities.id }).from(identities).where(eq(identities.name, input.identity));
  if (!identity) throw new Error(`no identity named "${input.identity}"`);
  const name = input.name?.trim() || input.publicKey.trim().split(/\s+/)[2] || k.type;
  const [row] = await db.insert(sshPublicKeys).values({ identityId: identity.id, name, fingerprint: k.fingerprint, publicKey: k.normalized }).onConflictDoNothing().returning();
  if (!row) throw new Error(`the key ${k.fingerprint} is already registered`);
  return { id: row.id, fingerprint: k.fingerprint, name };
}

/** Removes a key; with `identityId`, only when the key is that identity's (the console's per-person check). */
export async function removeSshPublicKey(db: Db, fingerprint: string, identityId?: string): Promise<boolean> {
  const where = identityId ? and(eq(sshPublicKeys.fingerprint, fingerprint), eq(sshPublicKeys.identityId, identityId)) : eq(sshPublicKeys.fingerprint, fingerprint);
  const removed = await db.delete(sshPublicKeys).where(where).returning({ id: sshPublicKeys.id, identityId: sshPublicKeys.identityId });
  // SSH sessions that logged in with the key end on every gateway instance, as for a revoked Gatehouse key.
  if (removed.length) await publish(db, "keys.revoked", { keyIds: removed.map((r) => r.id) });
  return removed.length > 0;
}

export async function listSshPublicKeys(db: Db, identity: string) {
  return db
    .select({ fingerprint: sshPublicKeys.fingerprint, name: sshPublicKeys.name, createdAt: sshPublicKeys.createdAt, lastUsedAt: sshPublicKeys.lastUsedAt })
    .from(sshPublicKeys)
    .innerJoin(identities, eq(identities.id, sshPublicKeys.identityId))
    .where(eq(identities.name, identity));
}

/**
 * The identity a registered public key belongs to, with its groups, and a verifier of the client's
 * signature; null when the key is not registered or its identity is disabled.
 */
export async function identityForPublicKey(db: Db, blob: Buffer): Promise<{ identity: Identity; verify: (data: Buffer, signature: Buffer, hashAlgo?: string) => boolean } | null> {
  const { rows } = await db.execute<{ key_id: string; public_key: string; identity_id: string; name: string; disabled: boolean; groups: string[] }>(sql`
    select k.id as key_id, k.public_key, i.id as identity_id, i.name, i.disabled_at is not null as disabled,
           coalesce(array_agg(g.name) filter (where g.name is not null), '{}') as groups
    from ssh_public_keys k join identities i on i.id = k.identity_id
    left join memberships m on m.identity_id = i.id left join groups g on g.id = m.group_id
    where k.fingerprint = ${sshFingerprint(blob)}
    group by k.id, i.id`);
  const row = rows[0];
  if (!row || row.disabled) return null;
  const parsed = (await loadSsh2()).utils.parseKey(row.public_key);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error || !key.getPublicSSH().equals(blob)) return null;
  db.execute(sql`update ssh_public_keys set last_used_at = now() where id = ${row.key_id}`).catch(() => {});
  return {
    identity: { id: row.identity_id, name: row.name, groups: row.groups, source: "key", keyId: row.key_id },
    verify: (data, signature, hashAlgo) => key.verify(data, signature, hashAlgo) === true,
  };
}
