import type { ResolvedConnection } from "../../../core/access/resolve-connection";
import { connectionTypeOf } from "../../../core/connections/registry";
import type { PgTarget } from "./target-socket";
import type { Dial } from "../../connector/dial";

/** The Postgres target of a stored connection (settings from its URL, password from its secret), reached by `dial`. */
export function pgTargetOf(c: ResolvedConnection, dial: Dial): PgTarget {
  const password = c.secret.password;
  // Through a connector and no password held here: the connector logs in with its own (or none is needed).
  return { ...connectionTypeOf("postgres").parseSettings(c), password, dial, loginAtConnector: c.connector && !password ? c.connector : undefined };
}
