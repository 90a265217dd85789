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
};

/**
 * The connection named `name` if one of the identity's groups is granted it, else null. A missing
 * connection and a forbidden one look the same to the caller, so nothing leaks which names exist.
 */
export async function resolveConnection(db: Db, box: SecretBox, identity: Identity, name: string): Promise<ResolvedConnection | null> {
  if (identity.groups.length === 0) return null;
  const { rows } = await db.execute<{ id: string; name: string; type: string; settings: ResolvedConnection["settings"]; secret_enc: string | null }>(sql`
    select c.id, c.name, c.type, c.settings, c.secret_enc from connections c
    where c.name = ${name} and exists (
      select 1 from grants gr join groups g on g.id = gr.group_id
      where gr.connection_id = c.id and g.name = any(${sql.param(identity.groups)}::text[]))`);
  const row = rows[0];
  if (!row) return null;
  return { id: row.id, name: row.name, type: row.type, settings: row.settings, secret: row.secret_enc ? JSON.parse(box.open(row.secret_enc)) : {} };
}
