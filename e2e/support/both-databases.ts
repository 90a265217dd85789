import { mkdtempSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { psqlAdmin, type PgServer } from "./pg-server";
import { runMigrations } from "../../drizzle/migrate";
import { openDb, type DbHandle } from "../../drizzle/client";
import { serveEmbeddedDatabase } from "../../scripts/embedded-db/serve-embedded-database";
import { embeddedDatabaseUrl } from "../../core/config/data-dir";

export type BothDatabases = { handles: Record<"postgres" | "embedded", DbHandle>; close: () => Promise<void> };

/**
 * A migrated state database on the real PostgreSQL (a new database of the shared server) and on the
 * embedded one `npm start` uses (PGlite served on a socket, in its own folder), for the tests that
 * must hold on both.
 */
export async function openBothDatabases(pg: Pick<PgServer, "socketDir" | "port">, prefix: string): Promise<BothDatabases> {
  const db = `${prefix}_${randomBytes(4).toString("hex")}`;
  psqlAdmin(pg, `create database ${db}`);
  const embeddedDir = mkdtempSync(path.join(tmpdir(), `gatehouse-${prefix}-`));
  const embedded = await serveEmbeddedDatabase({ dataDir: embeddedDir });
  const urls = {
    postgres: `postgres://postgres@localhost/${db}?host=${encodeURIComponent(pg.socketDir)}&port=${pg.port}`,
    embedded: embeddedDatabaseUrl(embeddedDir),
  };
  const handles = {} as BothDatabases["handles"];
  for (const [name, url] of Object.entries(urls) as Array<[keyof typeof urls, string]>) {
    await runMigrations(url);
    handles[name] = openDb(url, { max: 2 });
  }
  return {
    handles,
    close: async () => {
      for (const h of Object.values(handles)) await h.close();
      await embedded.close();
      rmSync(embeddedDir, { recursive: true, force: true });
    },
  };
}
