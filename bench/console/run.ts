/**
 * `npm run bench:console`: server time of the console's audit search, session list and session
 * page at 100,000 audit events and 10,000 sessions, against the 300 ms target. Runs the domain
 * functions the tRPC procedures call (no HTTP, no rendering), on a private PostgreSQL.
 */
import pg from "pg";
import { startPgServer, psqlAdmin } from "../../e2e/support/pg-server";
import { runMigrations } from "../../drizzle/migrate";
import { seed } from "./seed";

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 10_000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const TARGET_MS = 300;

const log = (m: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}`);

async function main() {
  const server = await startPgServer();
  try {
    psqlAdmin(server, "create database gatehouse_bench");
    const url = `postgres://postgres@localhost/gatehouse_bench?host=${encodeURIComponent(server.socketDir)}&port=${server.port}`;
    await runMigrations(url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    log(`seeding ${SESSIONS.toLocaleString("en")} sessions and ${EVENTS.toLocaleString("en")} audit events`);
    const t0 = performance.now();
    await seed(client, SESSIONS, EVENTS);
    const { rows } = await client.query<{ s: number; a: number }>("select (select count(*)::int from sessions) s, (select count(*)::int from audit_events) a");
    log(`seeded ${rows[0].s} sessions, ${rows[0].a} audit events in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const { rows: picks } = await client.query<{ id: string; identity_name: string; mid: string }>(
      "select id, identity_name, (select id::text from audit_events order by id limit 1 offset 50000) mid from sessions order by started_at desc limit 1 offset 5000",
    );
    await client.end();

    // The console's own modules, with its database pointed at the seeded one.
    process.env.DATABASE_URL = url;
    const { getDb } = await import("../../server/db");
    const { searchAudit } = await import("../../server/audit/search-audit");
    const { listSessions, getSessionPage } = await import("../../server/sessions/list-sessions");
    const db = getDb();
    const pick = picks[0];
    const first = await listSessions(db, { limit: 50 });
    const deepCursor = Number(pick.mid);

    const cases: Array<[string, () => Promise<unknown>]> = [
      ["audit search: first page", () => searchAudit(db, { limit: 50 })],
      ["audit search: identity filter", () => searchAudit(db, { identity: pick.identity_name, limit: 50 })],
      ["audit search: outcome denied + connection", () => searchAudit(db, { outcome: "denied", connection: "pg-7", limit: 50 })],
      ["audit search: deep page (keyset at event 50,000)", () => searchAudit(db, { cursor: deepCursor, limit: 50 })],
      ["audit search: text 'customer_id = 4242'", () => searchAudit(db, { q: "customer_id = 4242", limit: 50 })],
      ["audit search: text with no match", () => searchAudit(db, { q: "no such statement text", limit: 50 })],
      ["session list: first page", () => listSessions(db, { limit: 50 })],
      ["session list: identity + status filter", () => listSessions(db, { identity: pick.identity_name, status: "closed", limit: 50 })],
      ["session list: second page (keyset)", () => listSessions(db, { limit: 50, cursor: first.nextCursor })],
      ["session page: record + first 200 timeline events", () => getSessionPage(db, { id: pick.id, limit: 200 })],
    ];
    const results: Array<{ name: string; median: number; p95: number; max: number }> = [];
    for (const [name, run] of cases) {
      await run(); // warm the plan and the cache
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now();
        await run();
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      results.push({ name, median: times[Math.floor(times.length / 2)], p95: times[Math.floor(times.length * 0.95)], max: times[times.length - 1] });
    }
    console.log(`\nserver time per call, ms (${RUNS} runs each; target < ${TARGET_MS} ms)`);
    console.log(`${"case".padEnd(52)} ${"median".padStart(8)} ${"p95".padStart(8)} ${"max".padStart(8)}  target`);
    for (const r of results) {
      console.log(`${r.name.padEnd(52)} ${r.median.toFixed(1).padStart(8)} ${r.p95.toFixed(1).padStart(8)} ${r.max.toFixed(1).padStart(8)}  ${r.p95 < TARGET_MS ? "met" : "MISSED"}`);
    }
    const globals = globalThis as unknown as { gatehouseDb?: { close: () => Promise<void> } };
    await globals.gatehouseDb?.close();
  } finally {
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
