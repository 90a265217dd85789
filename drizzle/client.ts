import pg from "pg";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import { fileURLToPath } from "node:url";
import * as schema from "./schema/index";

export type Db = NodePgDatabase<typeof schema>;
export type DbHandle = { db: Db; pool: pg.Pool; close: () => Promise<void> };

const migrationsFolder = fileURLToPath(new URL("./migrations", import.meta.url));

/** A pooled connection to the shared database. Callers own the handle and close it. */
export function openDb(url: string, opts: { max?: number; applicationName?: string } = {}): DbHandle {
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 5, application_name: opts.applicationName ?? "gatehouse" });
  // A dropped idle connection must not crash the process; the pool replaces it on next use.
  pool.on("error", () => {});
  const db = drizzle(pool, { schema });
  return { db, pool, close: () => pool.end() };
}

/** Applies the Drizzle migrations; safe to run concurrently from several processes (advisory lock). */
export async function runMigrations(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, application_name: "gatehouse-migrate" });
  await client.connect();
  try {
    await client.query("select pg_advisory_lock(7412391)");
    await migrate(drizzle(client), { migrationsFolder });
  } finally {
    await client.query("select pg_advisory_unlock(7412391)").catch(() => {});
    await client.end();
  }
}
