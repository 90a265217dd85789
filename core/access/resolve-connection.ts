import type { Db } from "../../drizzle/client";
import type { SecretBox } from "../crypto/secret-box";
import type { Identity } from "../identity/identity";
import { connectionAccess, isUsable } from "./connection-access";

export type ResolvedConnection = {
  id: string;
  name: string;
  type: string;
  settings: Record<string, string | number | boolean>;
  secret: Record<string, string>;
  /** Reached through this connector (gateway/connector/) instead of dialled by the gateway. */
  connector?: string;
  /** Set when the identity may use the connection only through approved, time-bound access: when it ends (epoch ms). */
  temporaryAccessUntil?: number;
};

/**
 * The connection named `name` if the identity may use it (see connectionAccess), with its secret
 * opened; else null. A missing connection and a forbidden one look the same to the caller, so
 * nothing leaks which names exist.
 */
export async function resolveConnection(db: Db, box: SecretBox, identity: Identity, name: string): Promise<ResolvedConnection | null> {
  const [row] = await connectionAccess(db, { identityId: identity.id, groups: identity.groups }, name);
  if (!row || !isUsable(row)) return null;
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    settings: row.settings,
    secret: row.secretEnc ? JSON.parse(box.open(row.secretEnc)) : {},
    connector: row.connector ?? undefined,
    temporaryAccessUntil: row.viaGroups.length ? undefined : (row.temporaryUntil ?? undefined),
  };
}
