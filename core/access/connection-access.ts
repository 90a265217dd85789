import { sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";

/** What lets a person (an identity with groups) use one connection. */
export type ConnectionAccess = {
  id: string;
  name: string;
  type: string;
  settings: Record<string, string | number | boolean>;
  secretEnc: string | null;
  /** The connector the gateway reaches the target through (its name), or null: dialled directly. */
  connector: string | null;
  /** The person's groups that are granted the connection. */
  viaGroups: string[];
  /** Approved time-bound access (an access request) that lets the identity in until then, epoch ms. */
  temporaryUntil: number | null;
};

export type Person = { identityId: string | null; groups: string[] };

/**
 * The one access rule, for the gateway and the console alike: a connection may be used by an
 * identity when one of its groups is granted it, or when it holds approved, unrevoked, unexpired
 * time-bound access to it. With `name`, that one connection (usable or not, so a caller can say
 * why); without, every connection.
 */
export async function connectionAccess(db: Db, person: Person, name?: string): Promise<ConnectionAccess[]> {
  const { rows } = await db.execute<{
    id: string;
    name: string;
    type: string;
    settings: ConnectionAccess["settings"];
    secret_enc: string | null;
    connector: string | null;
    via_groups: string[];
    temporary_until: number | null;
  }>(sql`
    select c.id, c.name, c.type, c.settings, c.secret_enc, (select k.name from connectors k where k.id = c.connector_id) as connector,
      coalesce((select array_agg(g.name order by g.name) from grants gr join groups g on g.id = gr.group_id
        where gr.connection_id = c.id and g.name = any(${sql.param(person.groups)}::text[])), '{}') as via_groups,
      (select (extract(epoch from max(ar.access_expires_at)) * 1000)::float8 from access_requests ar
        where ar.connection_id = c.id and ar.identity_id = ${person.identityId}::uuid and ar.status = 'approved'
          and ar.revoked_at is null and ar.access_expires_at > now()) as temporary_until
    from connections c
    where ${name === undefined ? sql`true` : sql`c.name = ${name}`}
    order by c.name`);
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    type: r.type,
    settings: r.settings,
    secretEnc: r.secret_enc,
    connector: r.connector,
    viaGroups: r.via_groups,
    temporaryUntil: r.temporary_until,
  }));
}

export const isUsable = (c: Pick<ConnectionAccess, "viaGroups" | "temporaryUntil">) => c.viaGroups.length > 0 || c.temporaryUntil !== null;
