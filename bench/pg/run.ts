/**
 * `npm run bench:pg`: pgbench select-only and a 1M-row fetch, directly, through pgbouncer, through
 * a bare Node TCP pipe and through the gateway, alternating contenders; prints medians and ratios.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import path from "node:path";
import { freePort } from "../../e2e/support/free-port";
import { pgBin, psqlAdmin, startPgServer } from "../../e2e/support/pg-server";
import { cleanupAll, findProcess, memoryOf, onCleanup, RssSampler, runCmd, startService, stopping } from "./procs";
import { collectNotes, CpuMeter, gatewayBackends, stopPg } from "./observe";
import { startPgbouncer } from "./pgbouncer";
import { startBenchGateway } from "./gateway";
import { runConnect, runFetch, runPgbench, scenarioName, SCENARIOS, type ConnectResult, type Endpoint, type FetchResult, type PgbenchResult } from "./workloads";
import { CONTENDERS, formatConnect, formatReport, perContender, type Contender, type Results } from "./report";
import { formatJournal, measureJournal } from "./journal";
import { measureVerify } from "./audit-verify";
import { formatStore, measureStore } from "./audit-store";

const root = path.resolve(import.meta.dirname, "../..");
const envInt = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer`);
  return v;
};
const SCALE = envInt("BENCH_SCALE", 10);
const SECONDS = envInt("BENCH_SECONDS", 8);
const ROUNDS = envInt("BENCH_ROUNDS", 2);
const WARMUP_SECONDS = 2;
// BENCH_ONLY=connect: the connection-time runs alone (no pgbench -i, no select-only, no fetch, no audit figures).
const ONLY = process.env.BENCH_ONLY;
if (ONLY !== undefined && ONLY !== "connect") throw new Error("BENCH_ONLY must be connect (or unset)");
const APP = { user: "app", password: "secret", database: "bench" };
const say = (m: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const checkNotStopping = () => {
  if (stopping()) throw new Error("interrupted");
};
const version = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: "utf8" }).split("\n")[0].trim();

async function main(): Promise<void> {
  say(`scale ${SCALE}, ${SECONDS} s per run, ${ROUNDS} rounds, ${cpus().length} cpus`);
  const pg = await startPgServer();
  onCleanup("postgres", () => stopPg(pg));
  psqlAdmin(pg, [`create role ${APP.user} login password '${APP.password}'`, `create database ${APP.database} owner ${APP.user}`]);
  if (!ONLY) {
    say("pgbench -i");
    const init = await runCmd("pgbench", ["-i", "-q", "-s", String(SCALE), "-h", pg.socketDir, "-p", String(pg.port), "-U", APP.user, APP.database], { timeoutMs: 600_000 });
    if (init.code !== 0) throw new Error(`pgbench -i failed:\n${init.stderr}`);
    psqlAdmin(pg, "vacuum analyze", APP.database);
  }

  say("starting pgbouncer, bare pipe and gateway");
  const bouncer = await startPgbouncer({ port: pg.port, ...APP });
  const pipePort = await freePort();
  const pipe = await startService("bare pipe", path.join(root, "node_modules/.bin/tsx"), ["bench/pg/bare-pipe.ts", String(pipePort), String(pg.port)], { cwd: root, ready: /listening on/ });
  const pipePid = findProcess(pipe.proc.pid!, "node");
  const gw = await startBenchGateway(pg, APP);
  const gwPid = gw.pid;

  const base = { PGHOST: "127.0.0.1", PGSSLMODE: "disable", PGDATABASE: APP.database, PGUSER: APP.user, PGPASSWORD: APP.password };
  const endpoints: Record<Contender, Endpoint> = {
    direct: { ...base, PGPORT: String(pg.port) },
    pgbouncer: { ...base, PGPORT: String(bouncer.port) },
    "bare-pipe": { ...base, PGPORT: String(pipePort) },
    gateway: { ...base, PGPORT: String(gw.port), PGUSER: "bench-agent", PGPASSWORD: gw.key },
  };
  const pids = new Map<string, number>([
    ["pgbouncer", bouncer.pid],
    ["gateway", gwPid],
  ]);
  if (pipePid) pids.set("bare-pipe", pipePid);
  const sampler = new RssSampler(pids);
  const proxyCpu: Partial<Record<Contender, CpuMeter>> = {
    pgbouncer: new CpuMeter(() => [bouncer.pid]),
    "bare-pipe": new CpuMeter(() => (pipePid ? [pipePid] : [])),
    gateway: new CpuMeter(() => gw.pids),
  };
  const gatewayDbCpu = new CpuMeter(() => gatewayBackends(pg));

  const results: Results = {
    meta: {
      startedAt: new Date().toISOString(),
      scale: SCALE,
      seconds: SECONDS,
      rounds: ROUNDS,
      cpus: cpus().length,
      loadavg1AtStart: loadavg()[0],
      node: process.version,
      postgres: version(pgBin("postgres"), ["--version"]),
      pgbench: version("pgbench", ["--version"]),
      pgbouncer: version("/usr/sbin/pgbouncer", ["--version"]),
    },
    pgbench: Object.fromEntries(SCENARIOS.map((s) => [scenarioName(s), perContender((): PgbenchResult[] => [])])),
    connect: perContender((): ConnectResult[] => []),
    fetch: perContender((): FetchResult[] => []),
    gatewayFetchRss: [],
    rss: {},
    notes: [],
  };

  say("connection time (pgbench -C)");
  for (let round = 1; round <= ROUNDS; round++) {
    for (const c of round % 2 ? [...CONTENDERS] : [...CONTENDERS].reverse()) {
      checkNotStopping();
      proxyCpu[c]?.start();
      const r = await runConnect(endpoints[c], SECONDS);
      r.proxyCpuUs = proxyCpu[c]?.stop(r.connections) ?? null;
      results.connect[c].push(r);
      say(`round ${round} connect    ${c.padEnd(9)} ${r.error ? `FAILED: ${r.error.split("\n")[0]}` : `${r.connectMs} ms per connection, ${r.tps?.toFixed(0)} tps`}`);
    }
  }
  if (ONLY === "connect") {
    console.log(`\n${formatConnect(results)}\n\nraw results: ${saveResults(results, gw)}`);
    return;
  }

  say("warming up every contender");
  for (const c of CONTENDERS) {
    checkNotStopping();
    const w = await runPgbench(endpoints[c], { mode: "extended", clients: 8, threads: 2 }, WARMUP_SECONDS);
    if (w.error) say(`warm-up through ${c} failed: ${w.error}`);
  }

  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 ? [...CONTENDERS] : [...CONTENDERS].reverse();
    for (const s of SCENARIOS) {
      for (const c of order) {
        checkNotStopping();
        proxyCpu[c]?.start();
        if (c === "gateway") gatewayDbCpu.start();
        const r = await runPgbench(endpoints[c], s, SECONDS);
        r.proxyCpuUs = proxyCpu[c]?.stop(r.transactions) ?? null;
        if (c === "gateway") r.gatewayDbCpuUs = gatewayDbCpu.stop(r.transactions);
        results.pgbench[scenarioName(s)][c].push(r);
        say(`round ${round} ${scenarioName(s).padEnd(11)} ${c.padEnd(9)} ${r.error ? `FAILED: ${r.error.split("\n")[0]}` : `${r.tps?.toFixed(0)} tps, ${r.latencyMs} ms`}`);
      }
    }
    for (const c of order) {
      checkNotStopping();
      const before = memoryOf(gwPid)?.rssMiB ?? null;
      sampler.resetWindow();
      const f = await runFetch(endpoints[c]);
      sampler.sample();
      results.fetch[c].push(f);
      if (c === "gateway") {
        const after = memoryOf(gwPid)?.rssMiB ?? null;
        await sleep(2000);
        results.gatewayFetchRss.push({ round, beforeMiB: before, peakMiB: sampler.windowPeak.get("gateway") ?? null, afterMiB: after, settledMiB: memoryOf(gwPid)?.rssMiB ?? null });
      }
      say(`round ${round} 1M-row fetch ${c.padEnd(9)} ${f.error ? `FAILED: ${f.error.split("\n")[0]}` : `${f.seconds.toFixed(2)} s`}`);
    }
  }

  sampler.sample();
  sampler.stop();
  for (const [name, pid] of pids) results.rss[name as Contender] = { peakMiB: sampler.peak.get(name) ?? null, hwmMiB: memoryOf(pid)?.hwmMiB ?? null };
  collectNotes(results, pg, gw, [
    ["pgbouncer", bouncer.pid],
    ["bare-pipe", pipePid],
    ["gateway", gwPid],
  ]);

  const report = formatReport(results, SCENARIOS);
  console.log(`\n${report}\n\nraw results: ${saveResults(results, gw)}`);
  say("measuring the audit journal's cost per statement");
  console.log(`\n${formatJournal(await measureJournal())}`);
  say("timing audit verify over an untouched log");
  console.log(await measureVerify(pg));
  say("measuring what storing the audit costs Postgres per event, old and new write path");
  console.log(`\n${formatStore(await measureStore(pg))}`);
}

/** Raw results to bench/results/pg-<timestamp>.json (gitignored), with the gateway's last log lines; returns the path. */
function saveResults(results: Results, gw: { svc: { log: () => string } }): string {
  const dir = path.join(root, "bench/results");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `pg-${results.meta.startedAt.toString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify({ ...results, gatewayLogTail: gw.svc.log().split("\n").slice(-40) }, null, 2) + "\n");
  return path.relative(root, file);
}

let interrupted = false;
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    say(`${sig}: cleaning up`);
    void cleanupAll().then(() => process.exit(130));
  });
}

main()
  .catch((err) => {
    process.exitCode = 1;
    if (stopping()) return;
    console.error(`benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : err}`);
  })
  .finally(() => cleanupAll().then(() => process.exit(process.exitCode ?? 0)));
