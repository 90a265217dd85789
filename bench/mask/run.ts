/**
 * `npm run bench:mask`: fetches a million rows of 6 columns (2 masked by column rule, every text
 * value scanned by the detectors) directly, through the gateway without masking rules, and
 * through the gateway with them, alternating contenders; prints rows/s, the time and gateway CPU
 * masking adds per 1,000 rows, and the gateway's peak RSS at 100,000 and 1,000,000 rows.
 */
import { cpus } from "node:os";
import { psqlAdmin, startPgServer } from "../../e2e/support/pg-server";
import { stopPg } from "../pg/observe";
import { cleanupAll, cpuSecondsOf, memoryOf, onCleanup, RssSampler, runCmd, stopping } from "../pg/procs";
import { median } from "../pg/workloads";
import { seedSql, startMaskBenchGateway } from "./setup";

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const APP = { user: "app", password: "secret", database: "maskbench" };
const say = (m: string) => console.error(`[bench:mask ${new Date().toISOString().slice(11, 19)}] ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Contender = "direct" | "gateway, masking off" | "gateway, masking on";
type Run = { seconds: number; rowsPerSec: number; gatewayCpuSeconds: number | null; gatewayPeakMiB: number | null };

async function fetchRows(env: Record<string, string>, limit: number): Promise<{ seconds: number; rows: number; sample: string }> {
  const sql = `select * from people order by id limit ${limit}`;
  const r = await runCmd("bash", ["-c", `set -o pipefail; psql -X -qAt -v ON_ERROR_STOP=1 -c "${sql}" | tee >(sed -n '100p' >&2) | wc -l`], {
    env: { ...env, PGCONNECT_TIMEOUT: "10" },
    timeoutMs: 600_000,
  });
  const rows = Number(r.stdout.trim());
  if (r.code !== 0 || rows !== limit) throw new Error(`fetch failed (${rows} rows): ${r.stderr.slice(-500)}`);
  return { seconds: r.ms / 1000, rows, sample: r.stderr.trim() };
}

async function main(): Promise<void> {
  say(`${ROWS} rows, ${ROUNDS} rounds, ${cpus().length} cpus`);
  const pg = await startPgServer();
  onCleanup("postgres", () => stopPg(pg));
  psqlAdmin(pg, [`create role ${APP.user} login password '${APP.password}'`, `create database ${APP.database} owner ${APP.user}`]);
  say("seeding");
  const seed = await runCmd("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", pg.socketDir, "-p", String(pg.port), "-U", APP.user, "-d", APP.database, "-c", seedSql(ROWS)], { timeoutMs: 600_000 });
  if (seed.code !== 0) throw new Error(seed.stderr);
  const gw = await startMaskBenchGateway(pg, APP);
  const base = { PGHOST: "127.0.0.1", PGSSLMODE: "disable", PGUSER: APP.user, PGPASSWORD: APP.password, PGDATABASE: APP.database };
  const endpoints: Record<Contender, Record<string, string>> = {
    direct: { ...base, PGPORT: String(pg.port) },
    "gateway, masking off": { ...base, PGPORT: String(gw.port), PGUSER: "bench-agent", PGPASSWORD: gw.key, PGDATABASE: "plain" },
    "gateway, masking on": { ...base, PGPORT: String(gw.port), PGUSER: "bench-agent", PGPASSWORD: gw.key, PGDATABASE: "masked" },
  };
  const sampler = new RssSampler(new Map([["gateway", gw.pid]]), 50);
  const contenders = Object.keys(endpoints) as Contender[];
  const runs = Object.fromEntries(contenders.map((c) => [c, [] as Run[]])) as Record<Contender, Run[]>;

  say("warming up");
  for (const c of contenders) await fetchRows(endpoints[c], Math.min(ROWS, 100_000));
  const shown = (await fetchRows(endpoints["gateway, masking on"], 100)).sample;
  say(`a masked row: ${shown}`);

  for (let round = 1; round <= ROUNDS && !stopping(); round++) {
    for (const c of round % 2 ? contenders : [...contenders].reverse()) {
      await sleep(500);
      sampler.resetWindow();
      const cpu0 = cpuSecondsOf(gw.pid) ?? 0;
      const f = await fetchRows(endpoints[c], ROWS);
      sampler.sample();
      const run: Run = {
        seconds: f.seconds,
        rowsPerSec: ROWS / f.seconds,
        gatewayCpuSeconds: c === "direct" ? null : (cpuSecondsOf(gw.pid) ?? 0) - cpu0,
        gatewayPeakMiB: c === "direct" ? null : (sampler.windowPeak.get("gateway") ?? null),
      };
      runs[c].push(run);
      say(
        `round ${round} ${c.padEnd(21)} ${f.seconds.toFixed(2)} s, ${Math.round(run.rowsPerSec)} rows/s${run.gatewayCpuSeconds !== null ? `, gateway CPU ${run.gatewayCpuSeconds.toFixed(2)} s, peak RSS ${run.gatewayPeakMiB?.toFixed(0)} MiB` : ""}`,
      );
    }
  }

  // Memory must not grow with the result: the same masked fetch at a tenth of the size.
  sampler.resetWindow();
  await fetchRows(endpoints["gateway, masking on"], Math.max(1, Math.floor(ROWS / 10)));
  sampler.sample();
  const smallPeak = sampler.windowPeak.get("gateway") ?? null;
  sampler.stop();

  const med = (c: Contender, f: (r: Run) => number | null) => median(runs[c].map(f));
  const line = (c: Contender) => {
    const s = med(c, (r) => r.seconds)!;
    const cpu = med(c, (r) => r.gatewayCpuSeconds);
    const peak = med(c, (r) => r.gatewayPeakMiB);
    return `${c.padEnd(22)} ${s.toFixed(2).padStart(7)} s ${Math.round(ROWS / s)
      .toString()
      .padStart(10)} rows/s${cpu !== null ? `   gateway CPU ${cpu.toFixed(2)} s   peak RSS ${peak?.toFixed(0)} MiB` : ""}`;
  };
  const off = med("gateway, masking off", (r) => r.seconds)!;
  const on = med("gateway, masking on", (r) => r.seconds)!;
  const cpuOff = med("gateway, masking off", (r) => r.gatewayCpuSeconds)!;
  const cpuOn = med("gateway, masking on", (r) => r.gatewayCpuSeconds)!;
  const per1000 = (x: number) => ((x * 1000) / ROWS) * 1000;
  console.log(`
Masking benchmark: ${ROWS.toLocaleString("en")} rows x 6 columns (2 under column rules, all scanned by detectors), psql, medians of ${ROUNDS} rounds
${contenders.map(line).join("\n")}

masking on / off, wall clock:       ${(on / off).toFixed(2)}x   (${per1000(on - off).toFixed(2)} ms added per 1,000 rows; target <= 5)
masking on / off, gateway CPU:      ${(cpuOn / cpuOff).toFixed(2)}x   (${per1000(cpuOn - cpuOff).toFixed(2)} ms of gateway CPU added per 1,000 rows)
gateway peak RSS, masked fetch:     ${smallPeak?.toFixed(0)} MiB at ${Math.floor(ROWS / 10).toLocaleString("en")} rows, ${med("gateway, masking on", (r) => r.gatewayPeakMiB)?.toFixed(0)} MiB at ${ROWS.toLocaleString("en")} rows (HWM ${memoryOf(gw.pid)?.hwmMiB.toFixed(0)} MiB)`);
}

let interrupted = false;
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    void cleanupAll().then(() => process.exit(130));
  });
}

main()
  .catch((err) => {
    process.exitCode = 1;
    if (!stopping()) console.error(`benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : err}`);
  })
  .finally(() => cleanupAll().then(() => process.exit(process.exitCode ?? 0)));
