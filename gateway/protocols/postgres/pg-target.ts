import type { ResolvedConnection } from "../../../core/access/resolve-connection";
import type { PgTarget } from "./target-socket";

/** The Postgres target of a stored connection (settings from its URL, password from its secret). */
export function pgTargetOf(c: ResolvedConnection): PgTarget {
  const s = c.settings;
  return {
    host: String(s.host ?? "127.0.0.1"),
    port: Number(s.port ?? 5432),
    database: String(s.database ?? "postgres"),
    user: String(s.user ?? "postgres"),
    password: c.secret.password,
    sslmode: (s.sslmode as PgTarget["sslmode"]) ?? "prefer",
  };
}
