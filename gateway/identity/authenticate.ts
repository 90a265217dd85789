import { sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { AuthError, type Identity } from "./identity";
import { hashKey, looksLikeKey } from "./keys";
import type { createOidcVerifier } from "./oidc";

type Deps = { db: Db; verifyOidc?: ReturnType<typeof createOidcVerifier> };

const looksLikeJwt = (t: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/.test(t);

/** Turns the secret a client presented into an identity with its groups, or throws AuthError. */
export async function authenticate(token: string, deps: Deps): Promise<Identity> {
  const t = token.trim();
  if (!t) throw new AuthError("no token was given: use a Gatehouse key or an OIDC access token as the password");
  if (looksLikeKey(t)) return authenticateKey(t, deps.db);
  if (looksLikeJwt(t)) {
    if (!deps.verifyOidc) throw new AuthError("OIDC access tokens are not accepted here (no OIDC_ISSUER configured); use a Gatehouse key");
    return authenticateOidc(t, deps);
  }
  throw new AuthError("the password is neither a Gatehouse key nor an OIDC access token");
}

async function authenticateKey(key: string, db: Db): Promise<Identity> {
  const { rows } = await db.execute<{
    key_id: string; identity_id: string; name: string; expires_at: Date | null; revoked_at: Date | null; disabled_at: Date | null; groups: string[];
  }>(sql`
    select k.id as key_id, i.id as identity_id, i.name, k.expires_at, k.revoked_at, i.disabled_at,
           coalesce(array_agg(g.name) filter (where g.name is not null), '{}') as groups
    from keys k join identities i on i.id = k.identity_id
    left join memberships m on m.identity_id = i.id left join groups g on g.id = m.group_id
    where k.hash = ${hashKey(key)}
    group by k.id, i.id`);
  const row = rows[0];
  if (!row) throw new AuthError("the Gatehouse key is not valid");
  if (row.revoked_at) throw new AuthError("the Gatehouse key has been revoked");
  if (row.expires_at && row.expires_at.getTime() <= Date.now()) throw new AuthError("the Gatehouse key has expired");
  if (row.disabled_at) throw new AuthError("the identity of this key is disabled");
  // Best effort: last use is informational and must not slow sign-in.
  db.execute(sql`update keys set last_used_at = now() where id = ${row.key_id}`).catch(() => {});
  return { id: row.identity_id, name: row.name, groups: row.groups, source: "key", keyId: row.key_id, expiresAt: row.expires_at?.getTime() };
}

async function authenticateOidc(token: string, deps: Deps): Promise<Identity> {
  const claims = await deps.verifyOidc!(token);
  // OIDC identities are recorded on first use so that sessions and audit can refer to them; the
  // token's groups are authoritative and are joined with any groups an admin added in Gatehouse.
  const { rows } = await deps.db.execute<{ id: string; disabled_at: Date | null; groups: string[] }>(sql`
    with upserted as (
      insert into identities (name, kind, source, email) values (${claims.name}, 'person', 'oidc', ${claims.email ?? null})
      on conflict (name) do update set email = coalesce(excluded.email, identities.email)
      returning id, disabled_at
    )
    select u.id, u.disabled_at, coalesce(array_agg(g.name) filter (where g.name is not null), '{}') as groups
    from upserted u left join memberships m on m.identity_id = u.id left join groups g on g.id = m.group_id
    group by u.id, u.disabled_at`);
  const row = rows[0];
  if (row?.disabled_at) throw new AuthError("this identity is disabled in Gatehouse");
  const groups = [...new Set([...claims.groups, ...(row?.groups ?? [])])];
  return { id: row?.id ?? null, name: claims.name, groups, source: "oidc", expiresAt: claims.expiresAt };
}
