import { afterAll, beforeAll, describe, expect, it } from "vitest";
import net from "node:net";
import pg from "pg";
import { connectionId } from "../../core/connections/connection-id";
import { saveConnectionRecord } from "../../core/connections/add-connection";
import { parsePostgresUrl } from "../../core/connections/types/postgres";
import { psqlAdmin } from "../support/pg-server";
import { inject } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";

// Target backends pooled per connection and credentials (gateway/protocols/postgres/target-pool.ts):
// a backend a client left clean serves the next client of the connection, reset, and nothing of the
// first client's session shows through; anything else is not reused.
let t: TestGateway;
let key: string;
let admin: pg.Client;
const CONNECTION = "pg-pool";

type Conn = pg.Client & { processID: number; secretKey: number };
const connect = async (gw = t, k = key, database = CONNECTION): Promise<Conn> => {
  const c = new pg.Client({ host: "127.0.0.1", port: gw.pgPort, database, user: "agent-p", password: k }) as Conn;
  await c.connect();
  return c;
};
const one = async (c: pg.Client, sql: string) => Object.values((await c.query(sql)).rows[0] ?? {})[0];
const pidOf = async (c: pg.Client) => Number(await one(c, "select pg_backend_pid()"));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const backend = async (pid: number) =>
  (await admin.query("select state, query, state_change::text as changed from pg_stat_activity where pid = $1", [pid])).rows[0] as { state: string; query: string; changed: string } | undefined;

/** The backend answered the gateway's DISCARD ALL and went idle: it is back in the pool (a moment after its ReadyForQuery). */
async function waitParked(pid: number, resetAgainSince?: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const b = await backend(pid);
    if (b?.state === "idle" && b.query === "DISCARD ALL" && b.changed !== resetAgainSince) return void (await sleep(100));
    await sleep(50);
  }
  throw new Error(`backend ${pid} was not reset for reuse`);
}

async function waitGone(pid: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (!(await backend(pid))) return;
    await sleep(50);
  }
  throw new Error(`backend ${pid} is still there`);
}

/** A CancelRequest with the key a client was given, on a connection of its own (what libpq and node-postgres send). */
async function sendCancelRequest(port: number, pid: number, secret: number): Promise<void> {
  const b = Buffer.alloc(16);
  b.writeInt32BE(16, 0);
  b.writeInt32BE(80877102, 4);
  b.writeInt32BE(pid, 8);
  b.writeInt32BE(secret, 12);
  await new Promise<void>((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => s.end(b));
    s.on("close", () => resolve());
    s.on("error", reject);
  });
}

beforeAll(async () => {
  t = await startTestGateway({ GATEHOUSE_PG_POOL_IDLE_SECONDS: "30", GATEHOUSE_PG_POOL_MAX_IDLE: "4" });
  key = await t.setupAccess({ connection: CONNECTION, group: "pool-users", identity: "agent-p" });
  admin = new pg.Client({ connectionString: t.target.url() });
  await admin.connect();
});
afterAll(async () => {
  await admin?.end();
  await t?.close();
});

describe("[POSTGRES][POOL] target backends reused across clients", () => {
  it("a second client gets the backend the first left clean, with its own cancel key", async () => {
    const a = await connect();
    const pid = await pidOf(a);
    await a.end();
    await waitParked(pid);
    const b = await connect();
    expect(await pidOf(b)).toBe(pid);
    expect(b.processID).not.toBe(a.processID);
    expect(await one(b, "select current_user || '@' || current_database()")).toBe("app@shop");
    await b.end();
  });

  it("nothing of a client's session reaches the next client of its backend", async () => {
    const a = await connect();
    const pid = await pidOf(a);
    await a.query("create temp table leak_tmp(x int)");
    await a.query("set statement_timeout = '4321'");
    await a.query("set timezone = 'Asia/Tokyo'");
    await a.query("select set_config('search_path', 'pg_catalog', false)");
    await a.query("prepare leaky_simple as select 1");
    await a.query({ name: "leaky_extended", text: "select 1 as a" });
    await a.query("select pg_advisory_lock(424242)");
    await a.query("listen pool_leak_channel");
    await a.query("declare leaky_cursor cursor with hold for select 1");
    await a.end();
    await waitParked(pid);

    const b = await connect();
    expect(await pidOf(b)).toBe(pid);
    const notified: string[] = [];
    b.on("notification", (n) => notified.push(n.channel));
    expect(await one(b, "select to_regclass('pg_temp.leak_tmp')::text")).toBeNull();
    expect(await one(b, "show statement_timeout")).toBe("0");
    expect(await one(b, "show timezone")).toBe(await one(admin, "show timezone"));
    expect(await one(b, "show search_path")).toBe(await one(admin, "show search_path"));
    expect(Number(await one(b, "select count(*) from pg_prepared_statements"))).toBe(0);
    expect(Number(await one(b, "select count(*) from pg_cursors"))).toBe(0);
    // The same statement name prepared again: PostgreSQL would refuse it (42P05) had it survived.
    expect((await b.query({ name: "leaky_extended", text: "select 2 as a" })).rows).toEqual([{ a: 2 }]);
    expect(Number(await one(b, "select count(*) from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()"))).toBe(0);
    expect(await one(admin, "select pg_try_advisory_lock(424242)")).toBe(true);
    await admin.query("select pg_advisory_unlock(424242)");
    expect(Number(await one(b, "select count(*) from pg_listening_channels()"))).toBe(0);
    await admin.query("notify pool_leak_channel, 'for a'");
    await b.query("select 1");
    await sleep(300);
    expect(notified).toEqual([]);
    await b.end();
  });

  it("a client that leaves mid-transaction or mid-query does not put its backend back", async () => {
    const a = await connect();
    const inTx = await pidOf(a);
    await a.query("begin");
    await a.query("select 1");
    await a.end(); // Terminate while in a transaction block
    await waitGone(inTx);

    const c = await connect();
    const midQuery = await pidOf(c);
    const running = c.query("select pg_sleep(1)").catch(() => null);
    c.on("error", () => {});
    await sleep(200);
    (c as unknown as { connection: { stream: net.Socket } }).connection.stream.destroy();
    await running;
    await waitGone(midQuery);

    const d = await connect();
    expect([inTx, midQuery]).not.toContain(await pidOf(d));
    await d.end();
  });

  it("a client that only signs in and leaves hands its backend on; one that ran a statement naming LOAD does not (state DISCARD ALL cannot reset)", async () => {
    const a = await connect();
    const pid = await pidOf(a);
    await a.end();
    await waitParked(pid);
    const firstReset = (await backend(pid))!.changed;
    const quiet = await connect();
    await quiet.end();
    await waitParked(pid, firstReset);
    const b = await connect();
    expect(await pidOf(b)).toBe(pid);
    await b.query("select 1 as load");
    await b.end();
    await waitGone(pid);
  });

  it("the reused backend's cancel key is the new client's; the previous client's key no longer reaches it", async () => {
    const a = await connect();
    const pid = await pidOf(a);
    const oldKey = { pid: a.processID, secret: a.secretKey };
    await a.end();
    await waitParked(pid);
    const b = await connect();
    expect(await pidOf(b)).toBe(pid);

    const survives = b.query("select pg_sleep(1.5) as slept");
    await sleep(300);
    await sendCancelRequest(t.pgPort, oldKey.pid, oldKey.secret);
    expect((await survives).rows).toEqual([{ slept: "" }]);

    const cancelled = b.query("select pg_sleep(20)").catch((e: Error) => e);
    await sleep(300);
    const started = Date.now();
    await sendCancelRequest(t.pgPort, b.processID, b.secretKey);
    expect(await cancelled).toMatchObject({ code: "57014" });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await one(b, "select 'still here'")).toBe("still here");
    await b.end();
    // A backend that was sent a cancel is not reused (another could still be on its way).
    await waitGone(pid);
  });

  it("a connection whose login changes never gets a backend logged in the old way", async () => {
    psqlAdmin(inject("pg"), ["drop role if exists pool_rotated", "create role pool_rotated login password 'rotated'"]);
    await t.setupAccess({ connection: "pg-pool-rotate", group: "pool-users", identity: "agent-p" });
    const a = await connect(t, key, "pg-pool-rotate");
    const pid = await pidOf(a);
    await a.end();
    await waitParked(pid);
    const { db, box } = t.gw.deps;
    const id = await connectionId(db, "pg-pool-rotate");
    const { settings, secret } = parsePostgresUrl(t.target.url().replace("app:secret", "pool_rotated:rotated"));
    await saveConnectionRecord(db, box, { id, name: "pg-pool-rotate", type: "postgres", settings, secret });

    const b = await connect(t, key, "pg-pool-rotate");
    expect(await one(b, "select current_user")).toBe("pool_rotated");
    expect(await pidOf(b)).not.toBe(pid);
    await b.end();
    await waitGone(pid);
  });
});

describe("[POSTGRES][POOL] closing the gateway", () => {
  it("closes the backends waiting in its pool", async () => {
    const other = await startTestGateway();
    let closed = false;
    try {
      const k = await other.setupAccess({ connection: CONNECTION, group: "pool-users", identity: "agent-p" });
      const a = await connect(other, k);
      const pid = await pidOf(a);
      await a.end();
      await waitParked(pid);
      await other.close();
      closed = true;
      await waitGone(pid);
    } finally {
      if (!closed) await other.close();
    }
  });
});

describe("[POSTGRES][POOL] pooling off", () => {
  it("GATEHOUSE_PG_POOL_MAX_IDLE=0: every client gets a backend of its own, closed when it leaves", async () => {
    const off = await startTestGateway({ GATEHOUSE_PG_POOL_MAX_IDLE: "0" });
    try {
      const k = await off.setupAccess({ connection: CONNECTION, group: "pool-users", identity: "agent-p" });
      const a = await connect(off, k);
      const pid = await pidOf(a);
      await a.end();
      await waitGone(pid);
      const b = await connect(off, k);
      expect(await pidOf(b)).not.toBe(pid);
      expect(await one(b, "select 40 + 2")).toBe(42);
      await b.end();
    } finally {
      await off.close();
    }
  });
});
