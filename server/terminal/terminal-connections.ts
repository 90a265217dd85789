import "server-only";
import { sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";

/** Connection types the browser terminal can open: psql for Postgres, a shell for SSH. */
export const TERMINAL_TYPES = ["postgres", "ssh"] as const;
export const hasTerminal = (type: string): type is (typeof TERMINAL_TYPES)[number] => (TERMINAL_TYPES as readonly string[]).includes(type);

export type TerminalConnection = {
  name: string;
  type: string;
  /** The person's groups that are granted the connection. */
  viaGroups: string[];
  /** Approved time-bound access (an access request) that lets the identity in until then, epoch ms. */
  temporaryUntil: number | null;
};

/**
 * Connections with what gives the person access to each, by the same rules the gateway applies
 * (a grant to one of the groups, or approved time-bound access for the identity). With `name`,
 * that one connection whether usable or not (so a refusal can say why); without, the usable ones.
 */
export async function terminalConnections(db: Db, person: { identityId: string; groups: string[] }, name?: string): Promise<TerminalConnection[]> {
  const { rows } = await db.execute<{ name: string; type: string; via_groups: string[]; temporary_until: number | null }>(sql`
    select c.name, c.type,
      coalesce((select array_agg(g.name order by g.name) from grants gr join groups g on g.id = gr.group_id
        where gr.connection_id = c.id and g.name = any(${sql.param(person.groups)}::text[])), '{}') as via_groups,
      (select (extract(epoch from max(ar.access_expires_at)) * 1000)::float8 from access_requests ar
        where ar.connection_id = c.id and ar.identity_id = ${person.identityId}::uuid and ar.status = 'approved'
          and ar.revoked_at is null and ar.access_expires_at > now()) as temporary_until
    from connections c
    where ${name === undefined ? sql`true` : sql`c.name = ${name}`}
    order by c.name`);
  const list = rows.map((r) => ({ name: r.name, type: r.type, viaGroups: r.via_groups, temporaryUntil: r.temporary_until }));
  return name === undefined ? list.filter(isUsable) : list;
}

export const isUsable = (c: TerminalConnection) => c.viaGroups.length > 0 || c.temporaryUntil !== null;
