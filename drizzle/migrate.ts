import pg from "pg";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import { fileURLToPath } from "node:url";

const migrationsFolder = fileURLToPath(new URL("./migrations", import.meta.url));

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
