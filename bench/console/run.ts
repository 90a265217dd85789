/**
 * `npm run bench:console`: server time of the console's audit search, session list and session
 * page at 100,000 audit events and 10,000 sessions, against the 300 ms target, and a streamed
 * export of the whole log. Runs the domain functions the tRPC procedures and the export route
 * call (no HTTP, no rendering), on a private PostgreSQL, or with `BENCH_DATABASE=embedded` on the
 * embedded database `npm start` uses (PGlite served on a socket). `BENCH_EXPLAIN=1` prints each
 * case's plan. Ten times the size (the figure of issue 18): `BENCH_EVENTS=1000000 BENCH_SESSIONS=100000`.
 */
import pg from "pg";
import { startPgServer, psqlAdmin } from "../../e2e/support/pg-server";
import { runMigrations } from "../../drizzle/migrate";
import type { DbHandle } from "../../drizzle/client";
import { consoleCases } from "./cases";
import { captureQueries, explain } from "./explain";
import { seed } from "./seed";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { serveEmbeddedDatabase } from "../../scripts/embedded-db/serve-embedded-database";
import { embeddedDatabaseUrl } from "../../core/config/data-dir";

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 10_000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const LONG = Number(process.env.BENCH_LONG_SESSION ?? 20_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const EXPLAIN = Boolean(process.env.BENCH_EXPLAIN);
const EMBEDDED = process.env.BENCH_DATABASE === "embedded";
const TARGET_MS = 300;

const log = (m: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}`);
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

/** A private PostgreSQL, or the embedded database in a temporary folder. */
async function startDatabase(): Promise<{ url: string; stop: () => Promise<void> }> {
  if (EMBEDDED) {
    const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-bench-embedded-"));
    const db = await serveEmbeddedDatabase({ dataDir: dir, idleInTransactionMs: 3_600_000 });
    return { url: embeddedDatabaseUrl(dir), stop: async () => (await db.close(), rmSync(dir, { recursive: true, force: true })) };
  }
  const server = await startPgServer();
  psqlAdmin(server, "create database gatehouse_bench");
  return { url: `postgres://postgres@localhost/gatehouse_bench?host=${encodeURIComponent(server.socketDir)}&port=${server.port}`, stop: () => server.stop() };
}

async function main() {
  const server = await startDatabase();
  try {
    const url = server.url;
    log(`database: ${EMBEDDED ? "embedded (PGlite)" : "PostgreSQL"}`);
    await runMigrations(url);
    const client = new pg.Client({ connectionString: url });
    client.on("error", () => {}); // the server stops under it on failure; the real error is reported below
    await client.connect();
    log(`seeding ${SESSIONS.toLocaleString("en")} sessions and ${EVENTS.toLocaleString("en")} audit events`);
    const t0 = performance.now();
    await seed(client, SESSIONS, EVENTS, LONG);
    const { rows } = await client.query<{ s: number; a: number }>("select (select count(*)::int from sessions) s, (select count(*)::int from audit_events) a");
    log(`seeded ${rows[0].s} sessions, ${rows[0].a} audit events in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const { rows: picks } = await client.query<{ id: string; identity_name: string; mid: string; long_id: string }>(
      `select id, identity_name, (select id::text from audit_events order by id limit 1 offset ${Math.floor(EVENTS / 2)}) mid,
              (select id from sessions where identity_name = 'agent-etl') long_id
       from sessions order by started_at desc limit 1 offset ${Math.floor(SESSIONS / 2)}`,
    );

    // The console's own modules, with its database pointed at the seeded one.
    process.env.DATABASE_URL = url;
    const { getDb } = await import("../../server/db");
    const db = getDb();
    const handle = (globalThis as unknown as { gatehouseDb: DbHandle }).gatehouseDb;
    const capture = captureQueries(handle.pool);
    const day = 86_400_000;
    const cases = await consoleCases(db, {
      sessionId: picks[0].id,
      longSessionId: picks[0].long_id,
      identity: picks[0].identity_name,
      midEventId: Number(picks[0].mid),
      oldFrom: new Date(Date.now() - 28 * day),
      oldTo: new Date(Date.now() - 27 * day),
    });

    const results: Array<{ name: string; median: number; p95: number; max: number }> = [];
    for (const c of cases) {
      const sent = await capture.during(c.run); // also warms the plan and the cache
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now();
        await c.run();
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      results.push({ name: c.name, median: pct(times, 0.5), p95: pct(times, 0.95), max: times[times.length - 1] });
      if (EXPLAIN) for (const q of sent) console.log(`\n--- ${c.name}\n${q.text}\n${await explain(client, q)}`);
    }
    console.log(`\nserver time per call, ms (${RUNS} runs each; target < ${TARGET_MS} ms)`);
    console.log(`${"case".padEnd(46)} ${"median".padStart(8)} ${"p95".padStart(8)} ${"max".padStart(8)}  target`);
    for (const r of results) {
      console.log(`${r.name.padEnd(46)} ${r.median.toFixed(1).padStart(8)} ${r.p95.toFixed(1).padStart(8)} ${r.max.toFixed(1).padStart(8)}  ${r.p95 < TARGET_MS ? "met" : "MISSED"}`);
    }

    await benchExport(db);
    await client.end();
    await handle.close();
  } finally {
    await server.stop();
  }
}

/** The whole log through the streamed CSV export, read as a browser would: time, size, memory. */
async function benchExport(db: Awaited<ReturnType<(typeof import("../../server/db"))["getDb"]>>) {
  const { exportAuditStream } = await import("../../server/audit/export-audit");
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const t = performance.now();
  let bytes = 0;
  let lines = 0;
  const reader = exportAuditStream(db, {}, "csv").getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    for (const b of value) if (b === 10) lines++;
  }
  clearInterval(sampler);
  const mib = (n: number) => (n / 1024 / 1024).toFixed(0);
  console.log(
    `\nexport, whole log as CSV: ${(lines - 1).toLocaleString("en")} rows, ${mib(bytes)} MiB in ${((performance.now() - t) / 1000).toFixed(2)} s; ` +
      `RSS ${mib(rss0)} MiB before, ${mib(peak)} MiB at peak (read a page of 1,000 rows at a time)`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
