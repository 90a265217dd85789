import "server-only";
import path from "node:path";
import { openDb, type DbHandle } from "../drizzle/client";
import { embeddedDatabaseUrl } from "../core/config/data-dir";

// Cached on globalThis so that dev-server reloads reuse one pool instead of leaking a new one each time.
const cache = globalThis as unknown as { gatehouseDb?: DbHandle };

export function getDb() {
  cache.gatehouseDb ??= openDb(process.env.DATABASE_URL ?? embeddedDatabaseUrl(path.resolve(process.env.GATEHOUSE_DATA_DIR ?? ".gatehouse")), {
    max: 5,
    applicationName: "gatehouse-console",
  });
  return cache.gatehouseDb.db;
}
