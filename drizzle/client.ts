import pg from "pg";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import * as schema from "./schema/index";

export type Db = NodePgDatabase<typeof schema>;
export type DbHandle = { db: Db; pool: pg.Pool; close: () => Promise<void> };

/** A pooled connection to the shared database. Callers own the handle and close it. */
export function openDb(url: string, opts: { max?: number; applicationName?: string } = {}): DbHandle {
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 5, application_name: opts.applicationName ?? "gatehouse" });
  // A dropped idle connection must not crash the process; the pool replaces it on next use.
  pool.on("error", () => {});
  const db = drizzle(pool, { schema });
  return { db, pool, close: () => pool.end() };
}
