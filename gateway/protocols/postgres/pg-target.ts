import type { ResolvedConnection } from "../../../core/access/resolve-connection";
import { connectionTypeOf } from "../../../core/connections/registry";
import type { PgTarget } from "./target-socket";

/** The Postgres target of a stored connection (settings from its URL, password from its secret). */
export function pgTargetOf(c: ResolvedConnection): PgTarget {
  return { ...connectionTypeOf("postgres").parseSettings(c), password: c.secret.password };
}
