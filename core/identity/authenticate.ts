import { timingSafeEqual } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { AuthError, type Identity } from "./identity";
import { hashKey, looksLikeKey } from "./keys";
import { unusedExpiredMessage } from "./key-hygiene";
import type { createOidcVerifier } from "./oidc";
import { TERMINAL_CREDENTIAL_PREFIX, terminalCredentialIdentity } from "../terminal/terminal-tickets";

type Deps = { db: Db; verifyOidc?: ReturnType<typeof createOidcVerifier>; keyUnusedExpireDays?: number | null };
/** Where the credential is presented from: recorded on the key as its last use. */
export type UseContext = { clientAddr: string | null; protocol: string };

const looksLikeJwt = (t: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/.test(t);

/**
 * Turns the secret a client presented into an identity with its groups, or throws AuthError. A key is
 * only read here (the caller records its use with recordKeyUse once the client is let in), so that
 * admission can look the key up while it checks the address's failed sign-ins.
 */
export async function authenticate(token: string, deps: Deps): Promise<Identity> {
  // Exactly the credential: a key with a space or a line break around it is not that key.
  const t = token;
  if (!t.trim()) throw new AuthError("no token was given: use a Gatehouse key or an OIDC access token as the password");
  if (t !== t.trim()) throw new AuthError("the password has spaces or line breaks around the token: give the Gatehouse key or access token exactly as issued");
  if (looksLikeKey(t)) return authenticateKey(t, deps);
  if (t.startsWith(TERMINAL_CREDENTIAL_PREFIX)) return authenticateTerminal(t, deps.db);
  if (looksLikeJwt(t)) {
    if (!deps.verifyOidc) throw new AuthError("OIDC access tokens are not accepted here (no OIDC_ISSUER configured); use a Gatehouse key");
    return authenticateOidc(t, deps);
  }
  throw new AuthError("the password is neither a Gatehouse key nor an OIDC access token");
}

async function authenticateKey(key: string, { db, keyUnusedExpireDays }: Deps): Promise<Identity> {
  // Timestamps come back from drizzle's raw `execute` as strings, not Dates, so the database
  // decides expiry and hands over the instant as epoch milliseconds.
  const { rows } = await db.execute<{
    key_id: string;
    hash: string;
    identity_id: string;
    name: string;
    expired: boolean;
    expires_ms: number | null;
    revoked: boolean;
    unused_expired: boolean;
    disabled: boolean;
    groups: string[];
  }>(sql`
    select k.id as key_id, k.hash, i.id as identity_id, i.name,
           coalesce(k.expires_at <= now(), false) as expired, (extract(epoch from k.expires_at) * 1000)::float8 as expires_ms,
           k.revoked_at is not null as revoked,
           coalesce(k.last_used_at, k.created_at) < now() - make_interval(days => ${keyUnusedExpireDays ?? 0}) and ${keyUnusedExpireDays != null} as unused_expired,
           i.disabled_at is not null as disabled,
           coalesce(array_agg(g.name) filter (where g.name is not null), '{}') as groups
    from keys k join identities i on i.id = k.identity_id
    left join memberships m on m.identity_id = i.id left join groups g on g.id = m.group_id
    where k.hash = ${hashKey(key)}
    group by k.id, i.id`);
  const row = rows[0];
  // The look-up is by an index on the SHA-256 of the key (its timing tells nothing about the key);
  // the stored hash is still compared in constant time before it counts.
  if (!row || !timingSafeEqual(Buffer.from(row.hash, "hex"), Buffer.from(hashKey(key), "hex"))) throw new AuthError("the Gatehouse key is not valid");
  if (row.revoked) throw new AuthError("the Gatehouse key has been revoked");
  if (row.expired || (row.expires_ms != null && row.expires_ms <= Date.now())) throw new AuthError("the Gatehouse key has expired");
  if (row.unused_expired) throw new AuthError(unusedExpiredMessage(keyUnusedExpireDays!));
  if (row.disabled) throw new AuthError("the identity of this key is disabled");
  return { id: row.identity_id, name: row.name, groups: row.groups, source: "key", keyId: row.key_id, expiresAt: row.expires_ms ?? undefined };
}

/**
 * Records a key's last use (where from, over what). Best effort: last use must not slow sign-in. One
 * write per sign-in at most (never per statement), skipped when the key was used from the same
 * address and protocol in the last minute.
 */
export function recordKeyUse(db: Db, keyId: string, { clientAddr, protocol }: UseContext): void {
  db.execute(
    sql`update keys set last_used_at = now(), last_used_addr = ${clientAddr}, last_used_protocol = ${protocol} where id = ${keyId}
        and (last_used_at is null or last_used_at < now() - interval '1 minute' or last_used_addr is distinct from ${clientAddr} or last_used_protocol is distinct from ${protocol})`,
  ).catch(() => {});
}

/** The gateway's own browser terminal logging in for the person who opened it (see terminal-tickets.ts). */
async function authenticateTerminal(credential: string, db: Db): Promise<Identity> {
  const row = await terminalCredentialIdentity(db, credential);
  if (!row) throw new AuthError("the browser terminal's credential is not valid (closed or expired)");
  return { id: row.identity_id, name: row.name, groups: row.groups, source: "key", expiresAt: row.expires_ms };
}

async function authenticateOidc(token: string, deps: Deps): Promise<Identity> {
  const claims = await deps.verifyOidc!(token);
  // OIDC identities are recorded on first use so that sessions and audit can refer to them; the
  // token's groups are authoritative and are joined with any groups an admin added in Gatehouse.
  // Only an identity that itself came from OIDC is matched by name: a token whose name equals a
  // local identity's (an agent with keys) must not inherit that identity's groups.
  // A person the IdP deprovisioned over SCIM is refused by name or e-mail too, even when the token
  // names an identity SCIM never linked (the IdP's preferred_username differs from its SCIM userName).
  const names = [claims.name.toLowerCase(), ...(claims.email ? [claims.email.toLowerCase()] : [])];
  const { rows } = await deps.db.execute<{ id: string; disabled_at: Date | null; groups: string[]; deprovisioned: boolean }>(sql`
    with upserted as (
      insert into identities (name, kind, source, email) values (${claims.name}, 'person', 'oidc', ${claims.email ?? null})
      on conflict (name) do update set email = coalesce(excluded.email, identities.email) where identities.source = 'oidc'
      returning id, disabled_at
    )
    select u.id, u.disabled_at, coalesce(array_agg(g.name) filter (where g.name is not null), '{}') as groups,
           exists (select 1 from scim_users s where not s.active and (lower(s.user_name) in ${names} or lower(s.email) in ${names})) as deprovisioned
    from upserted u left join memberships m on m.identity_id = u.id left join groups g on g.id = m.group_id
    group by u.id, u.disabled_at`);
  const row = rows[0];
  if (!row) throw new AuthError(`the access token's name "${claims.name}" belongs to a Gatehouse identity that does not sign in through OIDC`);
  if (row.deprovisioned) throw new AuthError("this person has been deactivated by the identity provider (SCIM)");
  if (row.disabled_at) throw new AuthError("this identity is disabled in Gatehouse");
  const groups = [...new Set([...claims.groups, ...row.groups])];
  return { id: row.id, name: claims.name, groups, source: "oidc", expiresAt: claims.expiresAt };
}
