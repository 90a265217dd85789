import type { ResolvedConnection } from "../../../core/access/resolve-connection";
import { connectionTypeOf } from "../../../core/connections/registry";
import type { PgTarget } from "./target-socket";
import type { Dial } from "../../connector/dial";

/** The Postgres target of a stored connection (settings from its URL, password from its secret), reached by `dial`. */
export function pgTargetOf(c: ResolvedConnection, dial: Dial): PgTarget {
  return { ...connectionTypeOf("postgres").parseSettings(c), password: c.secret.password, dial };
}
