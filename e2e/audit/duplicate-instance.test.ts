import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect } from "node:net";
import path from "node:path";
import pg from "pg";
import { freePort } from "../support/free-port";
import { runMigrations } from "../../drizzle/migrate";
import { DuplicateInstanceError, lockInstance, type Holder } from "../../gateway/instance-lock";
import { gatewayProcessEnv, startGatewayProcess, type GatewayProcess } from "./gateway-process";

// Two gateways with one GATEHOUSE_INSTANCE would interleave one journal and one audit chain: the
// second refuses to start and says how to fix it, whether it shares the first one's data folder
// (the lock file) or only its database (the lease row, as from another host). A holder killed with
// SIGKILL does not block the restart.
const pgServer = inject("pg");
// Two data folders: the first is the one gatewayProcessEnv made.
const dirs: string[] = [];
const running: GatewayProcess[] = [];
let base: Record<string, string>;

async function envFor(dataDir: string): Promise<Record<string, string>> {
  return { ...base, GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_PG_PORT: String(await freePort()) };
}

async function start(env: Record<string, string>): Promise<GatewayProcess> {
  const gw = await startGatewayProcess(env);
  running.push(gw);
  return gw;
}

beforeAll(async () => {
  const made = await gatewayProcessEnv(pgServer, { instance: "twin", listen: [] });
  base = made.env;
  dirs.push(made.dataDir, mkdtempSync(path.join(tmpdir(), "gatehouse-twin-b-")));
});
afterAll(async () => {
  for (const gw of running) await gw.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("[AUDIT][INSTANCE] one process per GATEHOUSE_INSTANCE", () => {
  it("a second gateway with the same instance refuses to start (same data folder, or only the same database); kill -9 then restart works", async () => {
    const firstEnv = await envFor(dirs[0]);
    const first = await start(firstEnv);
    const refusal = /gateway failed to start: gateway instance \\?"twin\\?" is already running.*GATEHOUSE_INSTANCE/;

    // Same data folder: the lock file in the journal folder stops it before it reads the journal.
    await expect(startGatewayProcess(await envFor(dirs[0]))).rejects.toThrow(refusal);
    // Another data folder, same database (another host's case): the lease row stops it.
    const other = startGatewayProcess(await envFor(dirs[1]));
    await expect(other).rejects.toThrow(/lease in the database/);
    await expect(other).rejects.toThrow(refusal);

    // The first one was not disturbed: it still runs and answers on its port.
    expect(first.proc.exitCode).toBeNull();
    await new Promise<void>((resolve, reject) => {
      const s = connect(Number(firstEnv.GATEHOUSE_PG_PORT), "127.0.0.1", () => {
        s.destroy();
        resolve();
      });
      s.once("error", reject);
    });

    // Killed, it leaves its lock file and lease behind; the restart takes both over at once.
    await first.kill9();
    expect(existsSync(path.join(dirs[0], "audit-journal", "twin", "owner.lock"))).toBe(true);
    const restarted = await start(await envFor(dirs[0]));
    expect(restarted.log()).not.toMatch(/waiting up to/);
    // And a clean stop releases them: the other data folder's gateway may now start as "twin".
    await restarted.stop();
    expect(existsSync(path.join(dirs[0], "audit-journal", "twin", "owner.lock")), restarted.log()).toBe(false);
    const moved = await start(await envFor(dirs[1]));
    await moved.stop();
  }, 120_000);

  it("a lease held from another host is taken over only once its heartbeat has stopped for the lease's lifetime", async () => {
    await runMigrations(base.DATABASE_URL);
    const pool = new pg.Pool({ connectionString: base.DATABASE_URL, max: 4 });
    const log: string[] = [];
    const opts = (dir: string, self: Holder) => ({ pool, instance: "roaming", journalDir: path.join(dir, "audit-journal"), log: (m: string) => log.push(m), self, ttlMs: 1500, heartbeatMs: 200 });
    // Hosts that are not this one: liveness can only be told from the heartbeat.
    const hostA: Holder = { host: "host-a.invalid", pid: 1, procStart: "1" };
    const hostB: Holder = { host: "host-b.invalid", pid: 1, procStart: "1" };
    try {
      const a = await lockInstance(opts(dirs[0], hostA));
      const t0 = Date.now();
      // A beats every 200 ms: B sees the beat move on and refuses well before the lease could expire.
      await expect(lockInstance(opts(dirs[1], hostB))).rejects.toThrow(DuplicateInstanceError);
      expect(Date.now() - t0).toBeLessThan(1500);
      // A goes silent (as a killed process on another host): B waits out the lease, then takes it.
      await a.release().catch(() => {});
      await pool.query("insert into gateway_instances (instance, token, host, pid, proc_start) values ('roaming', 'silent', 'host-a.invalid', 1, '1')");
      const b = await lockInstance(opts(dirs[1], hostB));
      expect(log.some((m) => /waiting up to/.test(m))).toBe(true);
      const { rows } = await pool.query("select host from gateway_instances where instance = 'roaming'");
      expect(rows).toEqual([{ host: "host-b.invalid" }]);
      await b.release();
    } finally {
      await pool.end();
    }
  }, 30_000);
});
