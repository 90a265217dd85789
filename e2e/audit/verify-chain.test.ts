import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { psqlAdmin } from "../support/pg-server";
import { runMigrations } from "../../drizzle/migrate";
import { AuditWriter } from "../../core/audit/audit-writer";
import { chainHash, checkpointKey, type ChainRow } from "../../core/audit/audit-chain";
import { pruneAudit } from "../../core/audit/audit-retention";
import { appendChainedEvent, CONSOLE_STREAM } from "../../core/audit/chained-append";
import { gatehouse } from "./gateway-process";

// `gatehouse audit verify` on a log written by the real writer: untouched it passes; each kind of
// tampering is caught on its own, named, with the event ids.
const pgServer = inject("pg");
const EVENTS = 300;
let env: Record<string, string>;
let pool: pg.Pool;
let dataDir: string;

async function writeEvents(n: number, opts: { instance?: string; daysAgo?: number } = {}): Promise<void> {
  const writer = new AuditWriter(pool, { instance: opts.instance ?? "gw-a", journal: { dir: dataDir, fsync: false }, checkpointKey: checkpointKey(Buffer.from(env.GATEHOUSE_SECRET_KEY, "hex")) });
  await writer.recover();
  const base = Date.now() - (opts.daysAgo ?? 0) * 86_400_000;
  for (let i = 0; i < n; i++) {
    writer.write({
      at: new Date(base + i),
      action: "statement",
      outcome: i % 7 === 0 ? "error" : "ok",
      identityName: "agent-7",
      groups: ["analysts", "dba"],
      connectionName: "pg-prod",
      sessionId: "00000000-0000-4000-8000-000000000001",
      protocol: "postgres",
      clientAddr: "127.0.0.1",
      statement: `select ${i} /* é ✓ */`,
      statementKind: "SELECT",
      durationMs: 0.1234567 * i,
      rows: i,
      sqlstate: i % 7 === 0 ? "42P01" : null,
      details: i % 5 === 0 ? { masked: { email: i, card: 1 }, zeta: [1, { b: 2, a: 1 }] } : null,
    });
  }
  await writer.close();
}

const verify = (...args: string[]) => gatehouse(env, "audit", "verify", ...args);
const ids = async () => (await pool.query<{ id: string }>("select id from audit_events where instance = 'gw-a' order by seq")).rows.map((r) => Number(r.id));

beforeEach(async () => {
  const db = `gh_verify_${randomBytes(4).toString("hex")}`;
  psqlAdmin(pgServer, `create database ${db}`);
  env = { DATABASE_URL: `postgres://postgres@localhost/${db}?host=${encodeURIComponent(pgServer.socketDir)}&port=${pgServer.port}`, GATEHOUSE_SECRET_KEY: randomBytes(32).toString("hex") };
  await runMigrations(env.DATABASE_URL);
  pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 2 });
  dataDir = mkdtempSync(path.join(tmpdir(), "gatehouse-verify-"));
  await writeEvents(EVENTS);
});
afterEach(async () => {
  await pool.end();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("[AUDIT][VERIFY] gatehouse audit verify", () => {
  it("passes on an untouched log, whole and over a time range, and records that it ran", async () => {
    const r = await verify();
    expect(r.stdout, r.stderr).toContain("ok: the audit chain is intact");
    expect(r.stdout).toContain(`gw-a: ${EVENTS} event(s), seq 1..${EVENTS}`);
    expect(r.code).toBe(0);
    const { rows } = await pool.query<{ at: Date }>("select at from audit_events where instance = 'gw-a' order by seq offset 100 limit 101");
    const ranged = await verify("--from", rows[0].at.toISOString(), "--to", rows[100].at.toISOString());
    expect(ranged.stdout).toContain("gw-a: 101 event(s), seq 101..201");
    expect(ranged.code).toBe(0);
    const runs = await pool.query("select outcome from audit_events where action = 'audit.verify'");
    expect(runs.rows.map((x) => x.outcome)).toEqual(["ok", "ok"]);
  });

  it("chains console events (and the CLI's): an edited one is caught, and so is a deleted newest one", async () => {
    const key = checkpointKey(Buffer.from(env.GATEHOUSE_SECRET_KEY, "hex"));
    // What recordConsoleEvent (server/audit/record-console-event.ts) appends for a change in the console; ten at once queue on the stream's lock.
    const change = (i: number) =>
      appendChainedEvent(pool, key, CONSOLE_STREAM, {
        action: "console.connection.update",
        outcome: "ok",
        identityName: "admin@example.com",
        connectionName: "pg-prod",
        protocol: "console",
        message: `pg-prod: settings changed (${i})`,
        details: { target: "pg-prod", before: { port: 5432, password: "[redacted]" }, after: { port: 5433 + i, password: "[redacted]" } },
      });
    const consoleIds = await Promise.all(Array.from({ length: 10 }, (_, i) => change(i)));
    const intact = await verify();
    expect(intact.stdout, intact.stderr).toContain("gatehouse:console: 10 event(s), seq 1..10, 10 checkpoint(s)");
    expect(intact.code).toBe(0);
    // `audit verify` records its run in the CLI's stream, which the next run walks too.
    expect((await verify()).stdout).toContain("gatehouse:cli: 1 event(s), seq 1..1");

    const { rows } = await pool.query<{ id: string; message: string }>("select id, message from audit_events where instance = $1 and seq = 4", [CONSOLE_STREAM]);
    const id = Number(rows[0].id);
    expect(consoleIds).toContain(id);
    await pool.query("update audit_events set message = 'pg-prod: nothing changed' where id = $1", [id]);
    const edited = await verify();
    expect(edited.code).toBe(1);
    expect(edited.stdout).toContain(`TAMPERED (edited): gatehouse:console: event ${id} (seq 4) does not match its hash`);
    await pool.query("update audit_events set message = $2 where id = $1", [id, rows[0].message]);

    await pool.query("delete from audit_events where instance = $1 and seq = 10", [CONSOLE_STREAM]);
    const cut = await verify();
    expect(cut.code).toBe(1);
    expect(cut.stdout).toContain("TAMPERED (truncated): gatehouse:console: the stream ends at seq 9");
  });

  it("catches an UPDATE of one event", async () => {
    const id = (await ids())[150];
    await pool.query("update audit_events set statement = 'select 1' where id = $1", [id]);
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`TAMPERED (edited): gw-a: event ${id} (seq 151) does not match its hash`);
  });

  it("catches a DELETE from the middle", async () => {
    const all = await ids();
    await pool.query("delete from audit_events where id = any($1::bigint[])", [all.slice(100, 103)]);
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`TAMPERED (deleted): gw-a: events seq 101..103 are missing between events ${all[99]} and ${all[103]}`);
  });

  it("catches a reordering (two events swap places in the log)", async () => {
    const all = await ids();
    const [a, b] = [all[200], all[201]];
    for (const [from, to] of [
      [a, -a],
      [b, a],
      [-a, b],
    ])
      await pool.query("update audit_events set id = $2 where id = $1", [from, to]);
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`TAMPERED (reordered): gw-a: event ${a} (seq 202) is listed before event ${b} (seq 201)`);
  });

  it("catches a truncated tail (the last events deleted after the last checkpoint was signed)", async () => {
    const all = await ids();
    await pool.query("delete from audit_events where id = any($1::bigint[])", [all.slice(-5)]);
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`TAMPERED (truncated): gw-a: the stream ends at seq ${EVENTS - 5} (event ${all[EVENTS - 6]})`);
  });

  it("catches an edit whose chain was recomputed after it (the signed checkpoint no longer matches), and a forged checkpoint", async () => {
    const rows = (await pool.query<ChainRow & { id: string; hash: string }>("select * from audit_events where instance = 'gw-a' order by seq")).rows;
    let prev = rows[49].hash;
    for (const row of rows.slice(50)) {
      if (Number(row.seq) === 51) row.statement = "select 'nothing to see'";
      const hash = chainHash(prev, row);
      await pool.query("update audit_events set statement = $2, hash = $3 where id = $1", [row.id, row.statement, hash]);
      prev = hash;
    }
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("TAMPERED (rewritten)");
    // Re-signing the checkpoint without the key does not help.
    await pool.query("update audit_checkpoints set hash = $1", [prev]);
    const forged = await verify();
    expect(forged.stdout).toContain("TAMPERED (forged-checkpoint)");
  });

  it("retention deletes a whole prefix with a signed checkpoint: not tampering; the same deletion without it is", async () => {
    await pool.query("delete from audit_events");
    await pool.query("delete from audit_checkpoints");
    // A fresh stream: 100 old events, then 50 recent ones.
    await writeEvents(100, { instance: "gw-b", daysAgo: 40 });
    await writeEvents(50, { instance: "gw-b" });
    const deleted = await pruneAudit(pool, checkpointKey(Buffer.from(env.GATEHOUSE_SECRET_KEY, "hex")), 30);
    expect(deleted).toBe(100);
    const r = await verify();
    expect(r.stdout, r.stderr).toContain("gw-b: 50 event(s), seq 101..150, 2 checkpoint(s), deleted by retention up to seq 100");
    expect(r.code).toBe(0);
    // The next run of that instance goes on from the cut.
    await writeEvents(10, { instance: "gw-b" });
    expect((await verify()).code).toBe(0);
    // The same kind of deletion by hand, without a checkpoint, is reported.
    await pool.query("delete from audit_events where instance = 'gw-b' and seq <= 120");
    const tampered = await verify();
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain("TAMPERED (deleted): gw-b: events seq 101..120 are missing before event");
  });
});
