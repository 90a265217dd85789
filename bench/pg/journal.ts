/**
 * The audit journal's cost per statement (part of `npm run bench:pg`; alone: `tsx bench/pg/journal.ts`):
 * the synchronous path the relay takes before a client sees a result (build the event, number and
 * chain it, append it to the journal with one write per turn), with and without fdatasync, for one
 * statement per turn (a lone client) and eight (eight clients whose answers arrive in one turn).
 * The database side is a stub: shipping happens off this path, every 100 ms, and is measured by the
 * gateway runs (the shared Postgres' CPU per transaction).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type pg from "pg";
import { AuditWriter } from "../../core/audit/audit-writer";
import type { AuditEvent } from "../../core/audit/audit-event";

export type JournalMode = "no journal" | "journal" | "journal + fsync";
export type JournalFigure = { mode: JournalMode; perTurn: number; usPerStatement: number; statements: number };

const stubPool = { query: async () => ({ rows: [{ seq: null, hash: null }], rowCount: 0 }) } as unknown as pg.Pool;

function event(i: number): AuditEvent {
  return {
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
    statement: `SELECT abalance FROM pgbench_accounts WHERE aid = ${i};`,
    statementKind: "SELECT",
    durationMs: 0.123,
    rows: 1,
    sqlstate: null,
    message: null,
    details: null,
  };
}

export async function measureJournal(dir = tmpdir(), seconds = 2): Promise<JournalFigure[]> {
  const figures: JournalFigure[] = [];
  for (const mode of ["no journal", "journal", "journal + fsync"] as const) {
    for (const perTurn of [1, 8]) {
      const folder = mkdtempSync(path.join(dir, "gatehouse-journal-bench-"));
      const journal = mode === "no journal" ? undefined : { dir: folder, fsync: mode === "journal + fsync" };
      const writer = new AuditWriter(stubPool, { instance: "bench", intervalMs: 3_600_000, log: () => {}, journal });
      await writer.recover();
      let n = 0;
      let shipping = 0;
      const started = performance.now();
      const until = started + seconds * 1000;
      while (performance.now() < until) {
        for (let k = 0; k < perTurn; k++) writer.write(() => [event(n++)]);
        writer.syncPending();
        // Shipping is stubbed and timed apart: it runs off the data path.
        if (n % 4096 < perTurn) {
          const s = performance.now();
          await writer.flush();
          shipping += performance.now() - s;
        }
      }
      const elapsed = performance.now() - started - shipping;
      await writer.close();
      rmSync(folder, { recursive: true, force: true });
      figures.push({ mode, perTurn, statements: n, usPerStatement: (elapsed * 1000) / n });
    }
  }
  return figures;
}

export function formatJournal(figures: JournalFigure[]): string {
  const lines = ["audit events on the data path, per statement (built, numbered, chained; then appended to the journal; shipping excluded):"];
  for (const f of figures)
    lines.push(`  ${f.mode.padEnd(15)}  ${String(f.perTurn).padStart(2)} statement(s) per turn  ${f.usPerStatement.toFixed(1).padStart(8)} µs/statement  (${f.statements} statements)`);
  const at = (mode: JournalMode, perTurn: number) => figures.find((f) => f.mode === mode && f.perTurn === perTurn)?.usPerStatement ?? NaN;
  for (const perTurn of [1, 8]) {
    lines.push(
      `  the journal adds ${(at("journal", perTurn) - at("no journal", perTurn)).toFixed(1)} µs/statement without fsync, ${(at("journal + fsync", perTurn) - at("no journal", perTurn)).toFixed(1)} with it (${perTurn} per turn)`,
    );
  }
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.env.BENCH_JOURNAL_DIR ?? tmpdir();
  console.log(formatJournal(await measureJournal(dir)));
}
