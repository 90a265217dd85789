/**
 * How long `gatehouse audit verify` takes over 100,000 events (BENCH_VERIFY_EVENTS) of one
 * instance, written by the real writer into a private PostgreSQL (part of `npm run bench:pg`;
 * alone: `tsx bench/pg/audit-verify.ts`).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { psqlAdmin, startPgServer, type PgServer } from "../../e2e/support/pg-server";
import { runMigrations } from "../../drizzle/migrate";
import { AuditWriter } from "../../core/audit/audit-writer";
import { checkpointKey } from "../../core/audit/audit-chain";
import { verifyAuditChain } from "../../core/audit/verify-chain";

export async function measureVerify(server: Pick<PgServer, "socketDir" | "port">, events = Number(process.env.BENCH_VERIFY_EVENTS ?? 100_000)): Promise<string> {
  const db = `verify_bench_${randomBytes(3).toString("hex")}`;
  psqlAdmin(server, `create database ${db}`);
  const url = `postgres://postgres@localhost/${db}?host=${encodeURIComponent(server.socketDir)}&port=${server.port}`;
  await runMigrations(url);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-verify-bench-"));
  const key = checkpointKey(randomBytes(32));
  try {
    const writer = new AuditWriter(pool, { instance: "bench", intervalMs: 3_600_000, log: () => {}, journal: { dir, fsync: false }, checkpointKey: key });
    await writer.recover();
    for (let i = 0; i < events; i++) {
      writer.write({
        at: new Date(),
        action: "statement",
        outcome: "ok",
        identityName: "bench-agent",
        groups: ["bench"],
        connectionName: "bench",
        sessionId: "0b9a7c55-2d1e-4f3a-8c6b-1a2b3c4d5e6f",
        protocol: "postgres",
        clientAddr: "127.0.0.1",
        statement: `SELECT abalance FROM pgbench_accounts WHERE aid = ${i};`,
        statementKind: "SELECT",
        durationMs: 0.1 + (i % 7) / 10,
        rows: 1,
      });
      if (i % 2000 === 1999) await writer.flush();
    }
    await writer.close();
    const report = await verifyAuditChain(pool, key);
    if (!report.ok) throw new Error(`verification failed on an untouched log: ${report.problem?.message}`);
    return `audit verify: ${report.streams[0]?.events ?? 0} events, ${report.streams[0]?.checkpoints ?? 0} checkpoint(s), intact, in ${(report.ms / 1000).toFixed(2)} s (${((report.ms * 1000) / events).toFixed(1)} µs/event)`;
  } finally {
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
    psqlAdmin(server, `drop database ${db}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = await startPgServer();
  try {
    console.log(await measureVerify(server));
  } finally {
    await server.stop();
  }
}
