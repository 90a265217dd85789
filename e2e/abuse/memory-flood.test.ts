import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { readFileSync } from "node:fs";
import pg from "pg";
import { RawPgClient } from "../support/raw-pg-client";
import { startPgGatewayProcess, type PgGateway } from "../audit/gateway-process";

// The flood at its own scale, against the gateway as its own process so that its memory can
// be read: five sessions each send 60 MiB of a declared 64 MiB frame (before the budget this took the
// gateway from 170 to 436 MB). With a 64 MiB budget one fits and the rest are refused.
const MiB = 1024 * 1024;
const BUDGET = 64 * MiB;
const pgServer = inject("pg");
let t: PgGateway;
let port: number;
let key: string;

beforeAll(async () => {
  t = await startPgGatewayProcess(pgServer, { instance: "flood-test", identity: "agent-7", env: { GATEHOUSE_BUFFER_BUDGET_BYTES: String(BUDGET) } });
  ({ port, key } = t);
});

afterAll(() => t?.stop());

/** The gateway process's resident set and its high-water mark (MiB), from /proc. */
function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rss: kib("VmRSS") / 1024, hwm: kib("VmHWM") / 1024 };
}

describe("[ABUSE][MEMORY] five 60 MiB partial frames against a 64 MiB budget", () => {
  it("refuses the clients past the budget, serves a healthy client meanwhile, and the gateway's memory stays bounded", async () => {
    const pid = t.gw.proc.pid!;
    const warm = new pg.Client({ host: "127.0.0.1", port, database: "pg-prod", user: "x", password: key });
    await warm.connect();
    await warm.query("select 1");
    const before = memoryOf(pid);
    const hogs = await Promise.all(Array.from({ length: 5 }, () => RawPgClient.connect(port)));
    for (const h of hogs) expect((await h.login("pg-prod", key)).name).toBe("readyForQuery");
    const head = Buffer.from([0x51, 0, 0, 0, 0]);
    head.writeInt32BE(64 * MiB, 1);
    const body = Buffer.alloc(60 * MiB - 5, 0x61);
    for (const h of hogs) h.send(Buffer.concat([head, body.subarray(0, 1)]));
    for (const h of hogs) h.send(body.subarray(1));
    await expect.poll(() => hogs.filter((h) => h.messages.some((m) => m.name === "error")).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(4);
    const refused = hogs.filter((h) => h.messages.some((m) => m.name === "error" && m.code === "08P01" && String(m.message).includes("buffer for incoming messages is full")));
    expect(refused.length).toBe(4);
    const started = performance.now();
    expect((await warm.query("select 'alive' as s")).rows).toEqual([{ s: "alive" }]);
    const healthyMs = performance.now() - started;
    await new Promise((r) => setTimeout(r, 1000));
    const during = memoryOf(pid);
    for (const h of hogs) h.end();
    await warm.end();
    console.log(
      `[ABUSE][MEMORY] gateway RSS ${before.rss.toFixed(0)} MiB before, ${during.rss.toFixed(0)} MiB with the flood held (high-water ${during.hwm.toFixed(0)} MiB); ` +
        `${refused.length} of 5 refused; a healthy query took ${healthyMs.toFixed(1)} ms`,
    );
    // One 60 MiB frame fits; the refused ones are dropped: far from the +266 MB of five held frames.
    expect(during.hwm - before.rss).toBeLessThan(200); // five frames held: +314 MiB measured
  });
});
