import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { sql } from "drizzle-orm";
import { RawPgClient } from "../support/raw-pg-client";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";

// Clients that start a message and do not finish it (half a message, a trickle), and clients that
// hold large parts of declared frames to eat the gateway's memory (issue 13).
const MiB = 1024 * 1024;
const TIMEOUT_MS = 1500;
const BUDGET = 8 * MiB;
let t: TestGateway;
let key: string;

beforeAll(async () => {
  t = await startTestGateway({ GATEHOUSE_MESSAGE_TIMEOUT_MS: String(TIMEOUT_MS), GATEHOUSE_BUFFER_BUDGET_BYTES: String(BUDGET), GATEHOUSE_MAX_MESSAGE_BYTES: String(16 * MiB) });
  key = await t.setupAccess({ connection: "steady" });
});
afterAll(() => t?.close());

/** The head of a Query whose length field declares `bytes` in all. */
const queryHead = (bytes: number) => {
  const b = Buffer.alloc(5);
  b[0] = 0x51;
  b.writeInt32BE(bytes, 1);
  return b;
};

async function healthyQuery(): Promise<number> {
  const started = performance.now();
  const c = new pg.Client({ host: "127.0.0.1", port: t.pgPort, database: "steady", user: "x", password: key });
  await c.connect();
  try {
    expect((await c.query("select 'alive' as s")).rows).toEqual([{ s: "alive" }]);
  } finally {
    await c.end();
  }
  return performance.now() - started;
}

describe("[ABUSE][MESSAGES] a started message must finish in time", () => {
  it("ends a session that sends 10 bytes of a 100-byte message with 08P01 after the bound; others go on", async () => {
    const c = await RawPgClient.connect(t.pgPort);
    expect((await c.login("steady", key)).name).toBe("readyForQuery");
    const started = Date.now();
    c.send(Buffer.concat([queryHead(100), Buffer.from("select 1")])); // 13 of 101 bytes
    const err = await c.waitFor((m) => m.name === "error", 10_000);
    const after = Date.now() - started;
    expect(err).toMatchObject({ code: "08P01", severity: "FATAL", message: `incomplete message: the client started a message and did not finish it within ${TIMEOUT_MS / 1000} s` });
    expect(after).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
    expect(after).toBeLessThan(TIMEOUT_MS + 3000);
    await c.waitClosed();
    expect(c.closed).toBe(true);
    await healthyQuery();
  });

  it("ends a client that trickles a message a byte at a time (each byte in time, the message not), and lets a message split by a pause through", async () => {
    const slow = await RawPgClient.connect(t.pgPort);
    expect((await slow.login("steady", key)).name).toBe("readyForQuery");
    const text = Buffer.from("select 'never finished'\0");
    const message = Buffer.concat([queryHead(4 + text.length), text]);
    let sent = 0;
    const started = Date.now();
    const trickle = setInterval(() => (slow.closed || sent >= message.length - 1 ? undefined : slow.send(message.subarray(sent, ++sent))), 200);
    try {
      const err = await slow.waitFor((m) => m.name === "error", 10_000);
      expect(err).toMatchObject({ code: "08P01" });
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 3000);
      expect(sent).toBeLessThan(message.length - 1);
    } finally {
      clearInterval(trickle);
    }
    // A message cut in two with a pause shorter than the bound is fine.
    const ok = await RawPgClient.connect(t.pgPort);
    expect((await ok.login("steady", key)).name).toBe("readyForQuery");
    const q = Buffer.from("select 'split' as s\0");
    const whole = Buffer.concat([queryHead(4 + q.length), q]);
    ok.send(whole.subarray(0, 7));
    await new Promise((r) => setTimeout(r, TIMEOUT_MS / 3));
    ok.send(whole.subarray(7));
    expect(await ok.waitFor((m) => m.name === "dataRow" || m.name === "error")).toMatchObject({ name: "dataRow", fields: ["split"] });
    ok.end();
  });
});

describe("[ABUSE][MEMORY] a gateway-wide budget for partial messages", () => {
  it("refuses the clients that would pass it with 08P01, keeps the gateway's holding under it, and serves everyone else", async () => {
    const rssBefore = process.memoryUsage().rss;
    const hogs = await Promise.all(Array.from({ length: 5 }, () => RawPgClient.connect(t.pgPort)));
    for (const h of hogs) expect((await h.login("steady", key)).name).toBe("readyForQuery");
    // Each sends 3 MiB of a declared 7 MiB Query and then waits: together 15 MiB against an 8 MiB budget.
    let peak = 0;
    const watch = setInterval(() => (peak = Math.max(peak, t.gw.deps.buffers.inUse)), 5);
    try {
      for (const h of hogs) h.send(Buffer.concat([queryHead(7 * MiB), Buffer.alloc(3 * MiB - 5, 0x61)]));
      await new Promise((r) => setTimeout(r, 1000));
      expect(await healthyQuery()).toBeLessThan(1000); // a small message needs no buffering: served during the flood
      const refused = hogs.filter((h) => h.messages.some((m) => m.name === "error" && m.code === "08P01" && String(m.message).includes("buffer for incoming messages is full")));
      expect(refused.length).toBeGreaterThanOrEqual(3); // two fit (6 MiB), the third would pass 8 MiB
      expect(peak).toBeLessThanOrEqual(BUDGET);
      expect(peak).toBeGreaterThan(5 * MiB);
    } finally {
      clearInterval(watch);
      for (const h of hogs) h.end();
    }
    await expect.poll(() => t.gw.deps.buffers.inUse, { timeout: 5_000 }).toBe(0);
    // With the hogs gone, a legitimately large message (4 MiB across many chunks) goes through.
    const c = new pg.Client({ host: "127.0.0.1", port: t.pgPort, database: "steady", user: "x", password: key });
    await c.connect();
    try {
      const big = "b".repeat(4 * MiB);
      expect((await c.query("select length($1::text) as n", [big])).rows).toEqual([{ n: 4 * MiB }]);
    } finally {
      await c.end();
    }
    const rssGrowth = (process.memoryUsage().rss - rssBefore) / MiB;
    console.log(`[ABUSE][MEMORY] peak held in partial messages ${(peak / MiB).toFixed(1)} MiB (budget ${BUDGET / MiB}); test process RSS +${rssGrowth.toFixed(0)} MiB`);
    expect(rssGrowth).toBeLessThan(200); // sanity only: this process also holds the clients' buffers
  });
});

describe("[ABUSE][IDLE] a connection's idle session timeout", () => {
  it("ends a session with no request for that long with 57P05 and the reason, but not one whose query is still running or whose requests keep coming; off by default", async () => {
    const idleKey = await t.setupAccess({ connection: "idle-1s" });
    await t.gw.deps.db.execute(sql`update connections set settings = settings || '{"idleTimeoutSeconds": 1}'::jsonb where name = 'idle-1s'`);
    const connect = async (database: string) => {
      const c = new pg.Client({ host: "127.0.0.1", port: t.pgPort, database, user: "x", password: idleKey });
      const errors: pg.DatabaseError[] = [];
      c.on("error", (e) => errors.push(e as pg.DatabaseError));
      await c.connect();
      return { c, errors };
    };
    const idle = await connect("idle-1s");
    const busy = await connect("idle-1s");
    const untimed = await connect("steady");
    const chatty = await connect("idle-1s");
    const keepAsking = async () => {
      for (let i = 0; i < 6; i++) {
        expect((await chatty.c.query("select 1 as one")).rows).toEqual([{ one: 1 }]);
        await new Promise((r) => setTimeout(r, 400));
      }
    };
    // A query that runs past the timeout is not idleness; nor are requests closer together than it, however long they go on.
    const [slept] = await Promise.all([busy.c.query("select pg_sleep(2)::text as slept"), keepAsking()]);
    expect(slept.rows).toEqual([{ slept: "" }]);
    expect(busy.errors).toEqual([]);
    expect(chatty.errors).toEqual([]);
    await expect.poll(() => idle.errors.length, { timeout: 5_000 }).toBeGreaterThan(0);
    expect(idle.errors[0]).toMatchObject({ code: "57P05", message: "terminating connection due to idle-session timeout: no request for 1 s (this connection's idle session timeout)" });
    await new Promise((r) => setTimeout(r, 1500));
    expect((await untimed.c.query("select 'still here' as s")).rows).toEqual([{ s: "still here" }]);
    expect(untimed.errors).toEqual([]);
    for (const x of [idle, busy, untimed, chatty]) await x.c.end().catch(() => {});
  });
});
