import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { openDb, type DbHandle } from "../../drizzle/client";
import { runMigrations } from "../../drizzle/migrate";
import { psqlAdmin } from "./pg-server";

/** A new database in the run's private PostgreSQL (the e2e global setup's), migrated, opened with a pool of `max`. */
export async function freshDatabase(max = 2): Promise<DbHandle> {
  const pg = inject("pg");
  const name = `gh_${randomBytes(6).toString("hex")}`;
  psqlAdmin(pg, `create database ${name}`);
  const url = `postgres://postgres@localhost/${name}?host=${encodeURIComponent(pg.socketDir)}&port=${pg.port}`;
  await runMigrations(url);
  return openDb(url, { max });
}
