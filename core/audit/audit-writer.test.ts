import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type pg from "pg";
import { AuditWriter } from "./audit-writer";
import { chainHash, type ChainRow } from "./audit-chain";

// The database is a stand-in here (it records what it is given and fails on demand); the journal
// is real files. The e2e tests (e2e/audit/) run the same writer against PostgreSQL.
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fakePool() {
  const stored: Array<Record<string, unknown>> = [];
  /** inserts: how many batches were stored; turns: how many event-loop turns an insert takes (a round trip). */
  const state = { down: false, stored, inserts: 0, turns: 0 };
  const pool = {
    async query(sql: string, params: unknown[] = []) {
      if (/\binsert into audit_events\b/.test(sql)) {
        for (let i = 0; i < state.turns; i++) await new Promise((r) => setImmediate(r));
        state.inserts++;
        if (state.down) throw new Error("connection refused");
        const rows = JSON.parse(params[0] as string) as Array<Record<string, unknown>>;
        const fresh = rows.filter((r) => !stored.some((s) => s.seq === r.seq));
        stored.push(...fresh);
        return { rows: [], rowCount: fresh.length };
      }
      return { rows: [], rowCount: 0 };
    },
  };
  return { pool: pool as unknown as pg.Pool, state };
}

const event = (i: number) => ({ at: new Date(1_700_000_000_000 + i), action: "statement", outcome: "ok" as const, statement: `select ${i}`, durationMs: i / 3 });

describe("audit writer with its journal", () => {
  it("journals in the same turn, keeps everything through a database outage, ships each row once, and chains them", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "writer-"));
    dirs.push(dir);
    const { pool, state } = fakePool();
    const w = new AuditWriter(pool, { instance: "i1", intervalMs: 3_600_000, log: () => {}, journal: { dir, fsync: false } });
    await w.recover();
    const folder = path.join(dir, "i1");
    w.write(event(1));
    w.write(() => [event(2), event(3)]);
    w.syncPending();
    expect(readdirSync(folder)).toHaveLength(1);
    state.down = true;
    await w.flush();
    for (let i = 4; i <= 6; i++) w.write(event(i));
    await w.flush();
    expect(state.stored).toHaveLength(0);
    state.down = false;
    await w.flush();
    expect(state.stored.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    let prev = "";
    for (const r of state.stored) {
      expect(r.hash).toBe(chainHash(prev, r as unknown as ChainRow));
      prev = r.hash as string;
    }
    // Once everything is stored, closing leaves no journal behind.
    await w.close();
    expect(readdirSync(folder)).toEqual([]);
  });

  it("a second run ships what the first left in its journal, and goes on numbering", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "writer-"));
    dirs.push(dir);
    const { pool, state } = fakePool();
    state.down = true;
    const first = new AuditWriter(pool, { instance: "i2", intervalMs: 3_600_000, log: () => {}, journal: { dir, fsync: true } });
    await first.recover();
    first.write(event(1));
    first.write(event(2));
    first.syncPending(); // then the process dies: no flush, no close
    state.down = false;
    const second = new AuditWriter(pool, { instance: "i2", intervalMs: 3_600_000, log: () => {}, journal: { dir, fsync: false } });
    expect(await second.recover()).toEqual({ shipped: 2, torn: 0 });
    second.write(event(3));
    await second.close();
    expect(state.stored.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(state.stored[2].hash).toBe(chainHash(state.stored[1].hash as string, state.stored[2] as unknown as ChainRow));
  });

  it("under steady traffic a shipment takes what was queued when it began, not each event that arrives during its round trip", async () => {
    const { pool, state } = fakePool();
    state.turns = 3;
    const w = new AuditWriter(pool, { instance: "i3", intervalMs: 3_600_000, log: () => {} });
    await w.recover();
    w.write(event(1));
    w.syncPending();
    const shipment = w.flush();
    // One event a turn while the first batch is on its way, as a client answered each turn would send.
    for (let i = 2; i <= 60; i++) {
      w.write(event(i));
      w.syncPending();
      await new Promise((r) => setImmediate(r));
    }
    await shipment;
    expect(state.inserts).toBe(1);
    expect(state.stored.map((r) => r.seq)).toEqual([1]);
    expect(w.backlog().store).toBe(59);
    // The next tick (here: close) takes the rest as one batch.
    await w.close();
    expect(state.inserts).toBe(2);
    expect(state.stored).toHaveLength(60);
  });
});

describe("audit writer holding more than it may", () => {
  it("a batch stored while the oldest rows were dropped from memory takes only its own rows off the queue", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "writer-"));
    dirs.push(dir);
    const { pool, state } = fakePool();
    state.turns = 3;
    const w = new AuditWriter(pool, { instance: "i4", intervalMs: 3_600_000, log: () => {}, journal: { dir, fsync: false }, maxQueued: 10 });
    await w.recover();
    w.write(event(1));
    w.syncPending();
    const shipment = w.flush();
    // While row 1 is on its way, 15 more: the queue holds 10 at most, so rows 1 to 6 leave memory (they stay in the journal).
    for (let i = 2; i <= 16; i++) w.write(event(i));
    w.syncPending();
    expect(w.backlog()).toEqual({ journal: 0, store: 10, droppedFromMemory: 6 });
    await shipment;
    expect(w.backlog().store).toBe(10);
    await w.flush();
    expect(state.stored.map((r) => r.seq)).toEqual([1, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    await w.close();
  });
});

describe("audit rows PostgreSQL can store", () => {
  it("stores a client's NUL bytes and lone surrogates as ␀ and U+FFFD, in every text field and in details, and leaves other text alone", async () => {
    const { toRow } = await import("./audit-writer");
    const row = toRow({ at: new Date(0), action: "statement", outcome: "ok", statement: "select 'a\0b'", message: "x\uD800y", details: { nested: ["ok", "c\0"], "k\0": 1 } }, "test", 1);
    expect(row.statement).toBe("select 'a\u2400b'");
    expect(row.message).toBe("x\uFFFDy");
    expect(row.details).toEqual({ nested: ["ok", "c\u2400"], "k\u2400": 1 });
    const plain = { at: new Date(0), action: "statement", outcome: "ok" as const, statement: "select '😀'", details: { a: "b" } };
    const same = toRow(plain, "test", 2);
    expect(same.statement).toBe("select '😀'");
    expect(same.details).toBe(plain.details); // nothing copied when nothing needs it
  });
});
