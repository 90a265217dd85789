import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import postgres from "postgres";
import { serveEmbeddedDatabase, type EmbeddedDatabase } from "../../scripts/embedded-db/serve-embedded-database";

// The embedded database's socket server, with real drivers, in this process. PGlite is one
// backend shared by every connection; these check that connections still cannot disturb each other.
const dataDir = mkdtempSync(path.join(tmpdir(), "gatehouse-embedded-db-"));
const url = `postgres://postgres@localhost/postgres?host=${encodeURIComponent(dataDir)}`;
let db: EmbeddedDatabase;
const clients: pg.Client[] = [];

async function connect(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  c.on("error", () => {});
  await c.connect();
  clients.push(c);
  return c;
}

const settlesWithin = (p: Promise<unknown>, ms: number) =>
  Promise.race([
    p.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((r) => setTimeout(() => r(false), ms)),
  ]);

beforeAll(async () => {
  db = await serveEmbeddedDatabase({ dataDir, maxConnections: 20, idleInTransactionMs: 1500 });
  const c = await connect();
  await c.query("create table big_rows (len int); create table small_rows (len int); create table kv (k int primary key, v text)");
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => {})));
  await db?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("[START][EMBEDDED-DB] one PGlite backend shared by many connections", () => {
  // With @electric-sql/pglite-socket 0.2.17 some of the large inserts' parameters bound to the small
  // insert (rows in the wrong table, no error): its messages arrive in several reads and interleaved.
  it("runs large and small parameterised statements from a pool without mixing their messages", async () => {
    const pool = new pg.Pool({ connectionString: url, max: 8 });
    const big = "x".repeat(300_000);
    const results = await Promise.allSettled(
      Array.from({ length: 120 }, (_, i) =>
        i % 4 === 0
          ? pool.query("insert into big_rows values (length($1::text))", [big])
          : i % 10 === 1
            ? pool.query("select 1 / ($1::int - $1::int)", [i]) // fails by design, mid-stream
            : pool.query("insert into small_rows values (length($1::text))", [String(i)]),
      ),
    );
    const failed = results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason.message);
    expect(new Set(failed)).toEqual(new Set(["division by zero"]));
    const { rows } = await pool.query(
      "select (select count(*)::int from big_rows where len = 300000) as big, (select count(*)::int from small_rows where len < 4) as small, (select count(*)::int from small_rows) as all_small",
    );
    expect(rows[0]).toEqual({ big: 30, small: 78, all_small: 78 });
    await pool.end();
  });

  it("answers a client that pipelines many queries on one connection in order", async () => {
    const sql = postgres({ path: db.socketPath, user: "postgres", database: "postgres", max: 1, onnotice: () => {} });
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => sql`select ${i}::int as n`));
    expect(answers.map((r) => r[0].n)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    await sql.end();
  });

  it("makes other connections wait while one is in a transaction, and rolls back a client that leaves mid-transaction", async () => {
    const [a, b] = [await connect(), await connect()];
    await a.query("begin");
    await a.query("insert into kv values (1, 'committed')");
    const read = b.query("select v from kv where k = 1");
    expect(await settlesWithin(read, 300)).toBe(false);
    await a.query("commit");
    expect((await read).rows).toEqual([{ v: "committed" }]);

    const c = await connect();
    await c.query("begin");
    await c.query("insert into kv values (2, 'abandoned')");
    (c as unknown as { connection: { stream: { destroy: () => void } } }).connection.stream.destroy();
    expect((await b.query("select count(*)::int as n from kv where k = 2")).rows).toEqual([{ n: 0 }]);
  });

  it("disconnects a client idle in a transaction (25P03) so that it cannot stall everyone", async () => {
    const [a, b] = [await connect(), await connect()];
    const ended = new Promise<string>((resolve) => a.once("error", (e) => resolve(e.message)));
    await a.query("begin");
    await a.query("insert into kv values (3, 'idle')");
    const started = Date.now();
    expect((await b.query("select count(*)::int as n from kv where k = 3")).rows).toEqual([{ n: 0 }]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(await ended).toContain("idle-in-transaction timeout");
  });

  it("refuses connections beyond its limit with SQLSTATE 53300", async () => {
    const attempts = await Promise.allSettled(Array.from({ length: 25 }, () => connect()));
    const refused = attempts.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason as { code?: string });
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((e) => e.code === "53300")).toBe(true);
    await Promise.all(attempts.map((r) => (r.status === "fulfilled" ? r.value.end() : undefined)));
  });

  it("refuses a second server on the same folder, and keeps the data across a clean close", async () => {
    await expect(serveEmbeddedDatabase({ dataDir })).rejects.toThrow(`another Gatehouse is already using ${dataDir}`);
    await Promise.all(clients.splice(0).map((c) => c.end().catch(() => {})));
    await db.close();
    db = await serveEmbeddedDatabase({ dataDir });
    const c = await connect();
    expect((await c.query("select v from kv order by k")).rows).toEqual([{ v: "committed" }]);
  }, 60_000);
});
