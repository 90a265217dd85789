import { sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import type { SecretBox } from "../crypto/secret-box";
import type { Identity } from "../identity/identity";

export type ResolvedConnection = {
  id: string;
  name: string;
  type: string;
  settings: Record<string, string | number | boolean>;
  secret: Record<string, string>;
  /** Set when the identity may use the connection only through approved, time-bound access: when it ends (epoch ms). */
  temporaryAccessUntil?: number;
};

/**
 * The connection named `name` if one of the identity's groups is granted it, or the identity holds
 * approved time-bound access to it; else null. A missing connection and a forbidden one look the
 * same to the caller, so nothing leaks which names exist.
 */
export async function resolveConnection(db: Db, box: SecretBox, identity: Identity, name: string): Promise<ResolvedConnection | null> {
  const { rows } = await db.execute<{
    id: string; name: string; type: string; settings: ResolvedConnection["settings"]; secret_enc: string | null; by_group: boolean; until_ms: number | null;
  }>(sql`
    select c.id, c.name, c.type, c.settings, c.secret_enc,
      exists (
        select 1 from grants gr join groups g on g.id = gr.group_id
        where gr.connection_id = c.id and g.name = any(${sql.param(identity.groups)}::text[])) as by_group,
      (select (extract(epoch from max(ar.access_expires_at)) * 1000)::float8 from access_requests ar
        where ar.connection_id = c.id and ar.identity_id = ${identity.id}::uuid and ar.status = 'approved'
          and ar.revoked_at is null and ar.access_expires_at > now()) as until_ms
    from connections c where c.name = ${name}`);
  const row = rows[0];
  if (!row || (!row.by_group && row.until_ms == null)) return null;
  return {
    id: row.id, name: row.name, type: row.type, settings: row.settings, secret: row.secret_enc ? JSON.parse(box.open(row.secret_enc)) : {},
    temporaryAccessUntil: row.by_group ? undefined : (row.until_ms ?? undefined),
  };
}
