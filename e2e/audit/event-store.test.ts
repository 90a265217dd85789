import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { psqlAdmin } from "../support/pg-server";
import { runMigrations } from "../../drizzle/migrate";
import { AuditWriter, toRow } from "../../core/audit/audit-writer";
import { EventStore } from "../../core/audit/event-store";
import { checkpointKey } from "../../core/audit/audit-chain";
import { verifyAuditChain } from "../../core/audit/verify-chain";
import type { AuditEvent } from "../../core/audit/audit-event";
import { chainedRow, type JournalRow } from "../../core/audit/audit-journal";
import { serveEmbeddedDatabase, type EmbeddedDatabase } from "../../scripts/embedded-db/serve-embedded-database";
import { embeddedDatabaseUrl } from "../../core/config/data-dir";

// The audit writer ships with COPY on PostgreSQL: rows must arrive exactly as the chain hashed
// them (COPY's text escaping), each once even when a shipment's outcome is unknown or a crash
// makes the journal ship rows again, and the embedded database (which cannot COPY FROM STDIN)
// must keep working through the insert.
const pgServer = inject("pg");
const key = checkpointKey(randomBytes(32));
const dirs: string[] = [];
let pool: pg.Pool;

const AWKWARD = ["tab\there", "line\nbreak\r\n", "back\\slash \\N \\.", "\\", 'quote " and {braces}, commas', "NULL", "é ✓ 🙂", "nul\0byte"];

function event(i: number): AuditEvent {
  const text = AWKWARD[i % AWKWARD.length];
  return {
    at: new Date(1_760_000_000_000 + i),
    action: "statement",
    outcome: i % 3 === 0 ? "error" : "ok",
    identityId: "6f1c1a3e-8f43-4a8e-9d55-6e2a4c1b2d3f",
    identityName: `agent ${text}`,
    groups: i % 4 === 0 ? [] : [text, "NULL", "a,b", ""],
    connectionName: "pg-prod",
    sessionId: "0b9a7c55-2d1e-4f3a-8c6b-1a2b3c4d5e6f",
    protocol: "postgres",
    clientAddr: "127.0.0.1",
    statement: `select '${text}' /* ${i} */`,
    statementKind: "SELECT",
    durationMs: 0.1234567 * i,
    rows: i * 1_000_003,
    sqlstate: i % 3 === 0 ? "42P01" : null,
    message: i % 3 === 0 ? `relation "${text}" does not exist` : null,
    details: i % 5 === 0 ? { masked: { [text]: i }, zeta: [1, { b: text, a: null }] } : null,
  };
}

/** Rows numbered and chained as the writer journals them. */
function journalRows(instance: string, from: number, to: number): JournalRow[] {
  const rows: JournalRow[] = [];
  let prev = "";
  for (let seq = 1; seq <= to; seq++) {
    const row = toRow(event(seq), instance, seq);
    const { row: chained } = chainedRow(prev, row);
    prev = chained.hash;
    if (seq >= from) rows.push(chained);
  }
  return rows;
}

/** Watches the statements pool clients send: true once one was a COPY into audit_events. */
function watchCopies(): () => boolean {
  const query = vi.spyOn(pg.Client.prototype, "query");
  return () => query.mock.calls.some(([q]) => typeof q === "object" && q !== null && /^copy audit_events/.test((q as { text?: string }).text ?? ""));
}

/** A journal folder of this file's, removed after each test. */
function journalDir(prefix = "gatehouse-store-"): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** A writer that ships only when flushed or closed (an hour's interval), journaling into `dir`. */
const writerOn = (p: pg.Pool, instance: string, dir: string, signed = true) =>
  new AuditWriter(p, { instance, intervalMs: 3_600_000, log: () => {}, journal: { dir, fsync: false }, checkpointKey: signed ? key : undefined });

const count = async (p: pg.Pool, instance: string) => Number((await p.query("select count(distinct seq) d, count(*) n from audit_events where instance = $1", [instance])).rows[0].n);

beforeAll(async () => {
  const db = `gh_store_${randomBytes(4).toString("hex")}`;
  psqlAdmin(pgServer, `create database ${db}`);
  const url = `postgres://postgres@localhost/${db}?host=${encodeURIComponent(pgServer.socketDir)}&port=${pgServer.port}`;
  await runMigrations(url);
  pool = new pg.Pool({ connectionString: url, max: 3 });
});

afterAll(async () => {
  await pool?.end();
});

afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("[AUDIT][STORE] shipping the journal to PostgreSQL", () => {
  it("streams batches with COPY and stores every value as the chain hashed it", async () => {
    const copied = watchCopies();
    const writer = writerOn(pool, "copy-1", journalDir());
    await writer.recover();
    for (let i = 1; i <= 250; i++) writer.write(event(i));
    await writer.close();
    expect(copied()).toBe(true);
    expect(await count(pool, "copy-1")).toBe(250);
    const report = await verifyAuditChain(pool, key);
    expect(report.problem).toBeUndefined();
    expect(report.streams.find((s) => s.instance === "copy-1")?.events).toBe(250);
    const { rows } = await pool.query("select * from audit_events where instance = 'copy-1' and seq in (4, 7, 10) order by seq");
    expect(rows[0]).toMatchObject({ groups: [], message: null, statement: `select 'quote " and {braces}, commas' /* 4 */` });
    expect(rows[1]).toMatchObject({
      identity_name: "agent nul\u2400byte",
      groups: ["nul\u2400byte", "NULL", "a,b", ""],
      statement: "select 'nul\u2400byte' /* 7 */",
      details: null,
      rows: String(7_000_021),
    });
    expect(rows[2]).toMatchObject({ statement: "select 'back\\slash \\N \\.' /* 10 */", details: { masked: { "back\\slash \\N \\.": 10 }, zeta: [1, { b: "back\\slash \\N \\.", a: null }] } });
  });

  it("stores once the rows a crashed run had already stored and its journal ships again", async () => {
    const dir = journalDir();
    const kept = journalDir("gatehouse-store-kept-");
    const first = writerOn(pool, "crash-1", dir, false);
    await first.recover();
    for (let i = 1; i <= 40; i++) first.write(event(i));
    first.syncPending();
    // The process dies after the database stored the batch and before its journal segment was deleted.
    cpSync(dir, kept, { recursive: true });
    await first.flush();
    expect(await count(pool, "crash-1")).toBe(40);
    rmSync(dir, { recursive: true, force: true });
    cpSync(kept, dir, { recursive: true });

    const second = writerOn(pool, "crash-1", dir, false);
    expect(await second.recover()).toMatchObject({ shipped: 0 });
    for (let i = 41; i <= 60; i++) second.write(event(i));
    await second.close();
    expect(await count(pool, "crash-1")).toBe(60);
    const { rows } = await pool.query<{ seqs: string }>("select string_agg(seq::text, ',' order by seq) seqs from audit_events where instance = 'crash-1'");
    expect(rows[0].seqs).toBe(Array.from({ length: 60 }, (_, i) => i + 1).join(","));
    const report = await verifyAuditChain(pool, key);
    expect(report.problem).toBeUndefined();
  });

  it("retries a batch whose shipment may have been stored with the insert that skips stored rows", async () => {
    const store = new EventStore(pool);
    // Rows 1-30 reached the database, but the writer never heard back (the connection broke after the commit).
    await store.storeDeduplicated(journalRows("retry-1", 1, 30));
    const batch = journalRows("retry-1", 1, 50);
    await expect(store.store(batch)).rejects.toThrow(/duplicate key value violates unique constraint "audit_events_instance_seq_idx"/);
    await store.store(batch);
    await store.store(journalRows("retry-1", 51, 70));
    expect(await count(pool, "retry-1")).toBe(70);
    const { rows } = await pool.query("select count(distinct seq)::int n, min(seq)::int lo, max(seq)::int hi from audit_events where instance = 'retry-1'");
    expect(rows[0]).toEqual({ n: 70, lo: 1, hi: 70 });
  });
});

describe("[AUDIT][STORE] the embedded database", () => {
  let embedded: EmbeddedDatabase;
  let embeddedPool: pg.Pool;
  const embeddedDir = mkdtempSync(path.join(tmpdir(), "gatehouse-store-embedded-"));

  beforeAll(async () => {
    embedded = await serveEmbeddedDatabase({ dataDir: embeddedDir });
    await runMigrations(embeddedDatabaseUrl(embeddedDir));
    embeddedPool = new pg.Pool({ connectionString: embeddedDatabaseUrl(embeddedDir), max: 2 });
  }, 120_000);

  afterAll(async () => {
    await embeddedPool?.end();
    await embedded?.close();
    rmSync(embeddedDir, { recursive: true, force: true });
  });

  it("cannot COPY FROM STDIN, so the writer stores through the insert there", async () => {
    const copied = watchCopies();
    const writer = writerOn(embeddedPool, "embedded-1", journalDir());
    await writer.recover();
    for (let i = 1; i <= 30; i++) writer.write(event(i));
    await writer.flush();
    for (let i = 31; i <= 45; i++) writer.write(event(i));
    await writer.close();
    expect(copied()).toBe(false);
    expect(await count(embeddedPool, "embedded-1")).toBe(45);
    const report = await verifyAuditChain(embeddedPool, key);
    expect(report.problem).toBeUndefined();
  });
});
