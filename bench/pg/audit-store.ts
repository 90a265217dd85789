/**
 * What storing the audit costs PostgreSQL, per event (alone: `node --import tsx bench/pg/audit-store.ts`):
 * pgbench-like statement events, numbered and chained as the writer journals them, stored in
 * batches of 1,000 (BENCH_STORE_BATCH; about what the writer ships every 100 ms under load) by the
 * old write path (insert ... from json_populate_recordset ... on conflict do nothing) and the new one
 * (COPY FROM STDIN), each into its own database of a private PostgreSQL. Rounds of
 * BENCH_STORE_EVENTS (20,000) events go to each variant in turn, then a VACUUM (the deferred work of
 * the GIN indexes' pending lists). Prints the CPU of the storing backend per event, rows/s, and the
 * CPU this process spent per event on its side of the shipment (what the gateway's writer pays for it),
 * medians over BENCH_STORE_ROUNDS (5).
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { psqlAdmin, startPgServer, type PgServer } from "../../e2e/support/pg-server";
import { runMigrations } from "../../drizzle/migrate";
import { toRow } from "../../core/audit/audit-writer";
import { EventStore } from "../../core/audit/event-store";
import { chainedRow, type JournalRow } from "../../core/audit/audit-journal";
import { cpuSecondsOf } from "./procs";

const EVENTS = Number(process.env.BENCH_STORE_EVENTS ?? 20_000);
const BATCH = Number(process.env.BENCH_STORE_BATCH ?? 1_000);
const ROUNDS = Number(process.env.BENCH_STORE_ROUNDS ?? 5);

type Variant = { name: string; copy: boolean; setup?: string[] };
const VARIANTS: Variant[] = [
  {
    name: "insert, schema before 0022",
    copy: false,
    setup: ["drop index audit_events_message_trgm_idx", "create index audit_events_message_trgm_idx on audit_events using gin (message gin_trgm_ops)"],
  },
  { name: "insert", copy: false },
  { name: "COPY", copy: true },
  // Before 0025 each statement's whole text was in a trigram index (its shape and digit runs are now).
  {
    name: "COPY, schema before 0025",
    copy: true,
    setup: ["create index audit_events_statement_trgm_idx on audit_events using gin (statement gin_trgm_ops)", "drop index audit_events_shape_idx", "drop index audit_events_numbers_trgm_idx"],
  },
  { name: "COPY, no trigram indexes", copy: true, setup: ["drop index audit_events_numbers_trgm_idx", "drop index audit_events_message_trgm_idx"] },
];

/** `shippingUsPerEvent`: the CPU this process (the writer's side: the COPY text or the JSON, the driver) spent per event. */
export type StoreFigure = { name: string; usPerEvent: number; rowsPerSecond: number; shippingUsPerEvent: number };

function journalRows(count: number): JournalRow[] {
  const rows: JournalRow[] = [];
  let prev = "";
  for (let seq = 1; seq <= count; seq++) {
    const row = toRow(
      {
        at: new Date(),
        action: "statement",
        outcome: "ok",
        identityId: "6f1c1a3e-8f43-4a8e-9d55-6e2a4c1b2d3f",
        identityName: "bench-agent",
        groups: ["bench"],
        connectionName: "bench",
        sessionId: "0b9a7c55-2d1e-4f3a-8c6b-1a2b3c4d5e6f",
        protocol: "postgres",
        clientAddr: "127.0.0.1",
        statement: `SELECT abalance FROM pgbench_accounts WHERE aid = ${(seq * 7919) % 1_000_000};`,
        statementKind: "SELECT",
        durationMs: 0.123,
        rows: 1,
      },
      "bench",
      seq,
    );
    const { row: chained } = chainedRow(prev, row);
    prev = chained.hash;
    rows.push(chained);
  }
  return rows;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function measureStore(server: Pick<PgServer, "socketDir" | "port">): Promise<StoreFigure[]> {
  const rows = journalRows(EVENTS * ROUNDS);
  const runs: Array<{ v: Variant; db: string; pool: pg.Pool; store: EventStore; backend: number; cpu: number[]; rate: number[]; shipping: number[] }> = [];
  try {
    for (const v of VARIANTS) {
      const db = `store_bench_${randomBytes(3).toString("hex")}`;
      psqlAdmin(server, `create database ${db}`);
      const url = `postgres://postgres@localhost/${db}?host=${encodeURIComponent(server.socketDir)}&port=${server.port}`;
      await runMigrations(url);
      for (const sql of v.setup ?? []) psqlAdmin(server, sql, db);
      // One connection, so one backend does all the storing.
      const pool = new pg.Pool({ connectionString: url, max: 1 });
      const backend = Number((await pool.query("select pg_backend_pid() as pid")).rows[0].pid);
      runs.push({ v, db, pool, store: new EventStore(pool), backend, cpu: [], rate: [], shipping: [] });
    }
    for (let round = 0; round < ROUNDS; round++) {
      const part = rows.slice(round * EVENTS, (round + 1) * EVENTS);
      for (const r of runs) {
        const cpu0 = cpuSecondsOf(r.backend)!;
        const own0 = process.cpuUsage();
        const t0 = performance.now();
        for (let i = 0; i < part.length; i += BATCH) {
          const batch = part.slice(i, i + BATCH);
          if (r.v.copy) await r.store.store(batch);
          else await r.store.storeDeduplicated(batch);
        }
        const seconds = (performance.now() - t0) / 1000;
        const own = process.cpuUsage(own0);
        r.shipping.push((own.user + own.system) / part.length);
        await r.pool.query("vacuum audit_events");
        r.cpu.push(((cpuSecondsOf(r.backend)! - cpu0) * 1e6) / part.length);
        r.rate.push(part.length / seconds);
      }
    }
    return runs.map((r) => ({ name: r.v.name, usPerEvent: median(r.cpu), rowsPerSecond: median(r.rate), shippingUsPerEvent: median(r.shipping) }));
  } finally {
    for (const r of runs) {
      await r.pool.end();
      psqlAdmin(server, `drop database ${r.db}`);
    }
  }
}

export function formatStore(figures: StoreFigure[]): string {
  const lines = [`storing audit events in PostgreSQL (batches of ${BATCH}; medians of ${ROUNDS} rounds of ${EVENTS}; backend CPU includes a VACUUM after each round):`];
  for (const f of figures)
    lines.push(
      `  ${f.name.padEnd(28)} ${f.usPerEvent.toFixed(1).padStart(6)} µs of Postgres CPU per event  ${Math.round(f.rowsPerSecond).toString().padStart(7)} rows/s  ${f.shippingUsPerEvent.toFixed(1).padStart(5)} µs of the writer's CPU per event`,
    );
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = await startPgServer();
  try {
    console.log(formatStore(await measureStore(server)));
  } finally {
    await server.stop();
  }
}
