/**
 * `npm run bench:http`: requests per second and latency through the HTTP proxy, at 1 and 32
 * concurrent keep-alive clients (undici), small and 1 MiB JSON bodies: direct to the upstream, a
 * bare Node reverse proxy, and the gateway (its own process, audit on) with masking off and on.
 * Then the time to mask a 1 MiB JSON body in process. Prints figures, asserts nothing.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { Pool } from "undici";
import { psqlAdmin, startPgServer } from "../../e2e/support/pg-server";
import { CpuMeter, gatewayBackends, stopPg } from "../pg/observe";
import { cleanupAll, findProcess, onCleanup, runCmd, startService } from "../pg/procs";
import { median } from "../pg/workloads";
import { benchBodies } from "./bodies";
import { compileForGroups } from "../../core/masking/compile-rules";
import { maskingRulesSchema } from "../../core/masking/masking-rules";
import { ValueMasker } from "../../core/masking/value-masker";
import { maskJsonBytes } from "../../core/masking/json-masker";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/** BENCH_ONLY=small: only the small body (a quicker look). */
const BODIES = process.env.BENCH_ONLY ? [process.env.BENCH_ONLY] : ["small", "large"];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
/** BENCH_CLIENTS=1 (comma-separated): only these client counts (default 1 and 32). */
const CLIENTS = (process.env.BENCH_CLIENTS ?? "1,32").split(",").map(Number);
const root = path.resolve(import.meta.dirname, "../..");
const tsx = path.join(root, "node_modules/.bin/tsx");
const say = (m: string) => console.error(`[bench:http ${new Date().toISOString().slice(11, 19)}] ${m}`);
const MASKING = { detectors: { builtIn: ["email", "payment-card"] }, paths: [{ path: "$.rows[*].name", style: "partial" }] };

/** cpuUs: CPU µs per request of the proxy's own process; dbUs: of the Postgres backends serving the gateway (audit), when measured. */
type Load = { rps: number; p50: number; p99: number; errors: number; cpuUs: number | null; dbUs: number | null };
type Meters = { proc?: CpuMeter; db?: CpuMeter };

/** `clients` keep-alive connections, each sending requests back to back for `seconds` (steady state: connecting is not timed). */
async function load(origin: string, path_: string, headers: Record<string, string>, clients: number, seconds: number, meters: Meters = {}): Promise<Load> {
  const pool = new Pool(origin, { connections: clients, pipelining: 1 });
  // Every connection opened (and, through the gateway, admitted: a session per connection) before timing.
  await Promise.all(Array.from({ length: clients }, async () => (await pool.request({ method: "GET", path: path_, headers })).body.arrayBuffer()));
  meters.proc?.start();
  meters.db?.start();
  const latencies: number[] = [];
  let errors = 0;
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until) {
        const t = performance.now();
        try {
          const r = await pool.request({ method: "GET", path: path_, headers });
          await r.body.arrayBuffer();
          if (r.statusCode !== 200) errors++;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t);
      }
    }),
  );
  const cpuUs = meters.proc?.stop(latencies.length) ?? null;
  const dbUs = meters.db?.stop(latencies.length) ?? null;
  await pool.close();
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / seconds, p50: latencies[Math.floor(latencies.length / 2)] ?? NaN, p99: latencies[Math.floor(latencies.length * 0.99)] ?? NaN, errors, cpuUs, dbUs };
}

async function main() {
  const upstream = await startService("upstream", tsx, ["bench/http/upstream.ts"], { cwd: root, ready: /upstream listening on (\d+)/, timeoutMs: 60_000 });
  const upPort = Number(/upstream listening on (\d+)/.exec(upstream.log())![1]);
  // BENCH_GATEWAY_PROFILE=<dir>: the gateway and the bare proxy run under --cpu-prof, their profiles written there when they stop.
  const profile = process.env.BENCH_GATEWAY_PROFILE;
  const profFlags = profile ? ["--cpu-prof", "--cpu-prof-dir", profile] : [];
  const bare = await startService("bare proxy", process.execPath, [...profFlags, "--import", "tsx", "bench/http/bare-proxy.ts", String(upPort)], {
    cwd: root,
    ready: /bare proxy listening on (\d+)/,
    timeoutMs: 60_000,
  });
  const barePort = Number(/bare proxy listening on (\d+)/.exec(bare.log())![1]);
  const pg = await startPgServer();
  onCleanup("postgres", () => stopPg(pg));
  psqlAdmin(pg, "create database gatehouse_bench");
  const dataDir = mkdtempSync(path.join(tmpdir(), "gatehouse-bench-http-"));
  onCleanup("data", () => rmSync(dataDir, { recursive: true, force: true }));
  const env: Record<string, string> = {
    DATABASE_URL: `postgres://postgres@localhost/gatehouse_bench?host=${encodeURIComponent(pg.socketDir)}&port=${pg.port}`,
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_SECRET_KEY: randomBytes(32).toString("hex"),
    GATEHOUSE_PG_PORT: "0",
    GATEHOUSE_SSH_PORT: "0",
    GATEHOUSE_HTTP_PORT: "0",
    GATEHOUSE_INSTANCE: "bench-http",
  };
  // BENCH_GATEWAY_NODE_ARGS (e.g. "--perf-basic-prof" for `perf`) runs it as `node ARGS bin/gateway.mjs`, as bench:pg does.
  const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
  const gwCmd: [string, string[]] = [process.execPath, [...profFlags, ...nodeArgs, "bin/gateway.mjs"]];
  const gw = await startService("gateway", gwCmd[0], gwCmd[1], { env, cwd: root, ready: /postgres listener on/, timeoutMs: 90_000 });
  const gwPort = Number(/http listener on [^:]+:(\d+)/.exec(gw.log())![1]);
  const cli = async (...args: string[]) => {
    const r = await runCmd(process.execPath, [path.join(root, "bin/gatehouse.mjs"), ...args], { env });
    if (r.code !== 0) throw new Error(`gatehouse ${args.join(" ")}: ${r.stderr}`);
    return r.stdout.trim();
  };
  for (const name of ["plain", "masked"]) {
    await cli("connections", "add", name, "--type", "http", "--url", `http://127.0.0.1:${upPort}`, "--auth", "bearer", "--credential", "bench-upstream-token");
    await cli("grant", "bench", name);
  }
  const rulesFile = path.join(dataDir, "masking.json");
  await runCmd("bash", ["-c", `cat > ${rulesFile} <<'JSON'\n${JSON.stringify(MASKING)}\nJSON`]);
  await cli("masking", "apply", "masked", "-f", rulesFile);
  const key = await cli("keys", "issue", "bench-agent", "--groups", "bench");
  const auth = { authorization: `Bearer ${key}` };

  const barePid = findProcess(bare.proc.pid!, "node");
  const gwPid = findProcess(gw.proc.pid!, "node");
  const gwMeters: Meters = { proc: new CpuMeter(() => (gwPid ? [gwPid] : [])), db: new CpuMeter(() => gatewayBackends(pg)) };
  const contenders: Array<[string, string, string, Record<string, string>, Meters]> = [
    ["direct", `http://127.0.0.1:${upPort}`, "", {}, {}],
    ["bare proxy", `http://127.0.0.1:${barePort}`, "", {}, { proc: new CpuMeter(() => (barePid ? [barePid] : [])) }],
    ["gateway", `http://127.0.0.1:${gwPort}`, "/proxy/plain", auth, gwMeters],
    ["gateway masked", `http://127.0.0.1:${gwPort}`, "/proxy/masked", auth, gwMeters],
  ];
  // BENCH_CONTENDERS=gateway (comma-separated names): only these are measured (a profile of the gateway alone).
  const only = process.env.BENCH_CONTENDERS?.split(",").map((n) => n.trim());
  if (only) contenders.splice(0, contenders.length, ...contenders.filter(([n]) => only.includes(n)));
  const results = new Map<string, Load[]>();
  for (const [, origin, prefix, headers] of contenders) await load(origin, `${prefix}/small`, headers, 4, 1); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const body of BODIES) {
      for (const clients of CLIENTS) {
        const order = round % 2 ? [...contenders].reverse() : contenders;
        for (const [name, origin, prefix, headers, meters] of order) {
          const r = await load(origin, `${prefix}/${body}`, headers, clients, SECONDS, meters);
          const k = `${body}|${clients}|${name}`;
          results.set(k, [...(results.get(k) ?? []), r]);
          const cpu = r.cpuUs === null ? "" : `, CPU ${r.cpuUs.toFixed(0)} µs/req${r.dbUs === null ? "" : ` (+${r.dbUs.toFixed(0)} µs in Postgres)`}`;
          say(`${k}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms${cpu}${r.errors ? `, ${r.errors} errors` : ""}`);
        }
      }
    }
  }
  console.log(`\nmedians of ${ROUNDS} round(s) of ${SECONDS} s (req/s; p50/p99 ms):`);
  console.log(`${"body".padEnd(7)}${"clients".padStart(8)}${contenders.map(([n]) => n.padStart(26)).join("")}${"gateway/bare".padStart(14)}`);
  for (const body of BODIES) {
    for (const clients of CLIENTS) {
      const m = (name: string, f: (l: Load) => number) => median((results.get(`${body}|${clients}|${name}`) ?? []).map(f)) ?? NaN;
      const cells = contenders.map(([n]) => `${m(n, (l) => l.rps).toFixed(0)} (${m(n, (l) => l.p50).toFixed(1)}/${m(n, (l) => l.p99).toFixed(1)})`.padStart(26));
      console.log(`${body.padEnd(7)}${String(clients).padStart(8)}${cells.join("")}${(m("gateway", (l) => l.rps) / m("bare proxy", (l) => l.rps)).toFixed(2).padStart(14)}`);
    }
  }
  console.log(`\nCPU per request (µs, medians): the proxy's own process, and for the gateway the Postgres backends storing its audit`);
  console.log(`${"body".padEnd(7)}${"clients".padStart(8)}${"bare proxy".padStart(12)}${"gateway".padStart(10)}${"+ Postgres".padStart(12)}${"gw masked".padStart(11)}${"gw / bare".padStart(11)}`);
  for (const body of BODIES) {
    for (const clients of CLIENTS) {
      const m = (name: string, f: (l: Load) => number | null) => median((results.get(`${body}|${clients}|${name}`) ?? []).map((l) => f(l) ?? NaN)) ?? NaN;
      const [b, g, d, gm] = [m("bare proxy", (l) => l.cpuUs), m("gateway", (l) => l.cpuUs), m("gateway", (l) => l.dbUs), m("gateway masked", (l) => l.cpuUs)];
      console.log(
        `${body.padEnd(7)}${String(clients).padStart(8)}${b.toFixed(0).padStart(12)}${g.toFixed(0).padStart(10)}${d.toFixed(0).padStart(12)}${gm.toFixed(0).padStart(11)}${(g / b).toFixed(2).padStart(11)}`,
      );
    }
  }
  // Masking alone, in this process: the 1 MiB body the upstream serves.
  const masker = new ValueMasker(compileForGroups(maskingRulesSchema.parse(MASKING), [])!, randomBytes(32));
  // As the relay does it: the body's bytes in, the masked bytes out (decoding and encoding included).
  const body = benchBodies().large;
  const times: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t = performance.now();
    maskJsonBytes(body, masker);
    times.push(performance.now() - t);
  }
  times.splice(0, 5); // warm-up
  times.sort((a, b) => a - b);
  console.log(
    `masking a ${(body.length / 1024 / 1024).toFixed(2)} MiB JSON body in process (bytes in, masked bytes out): median ${median(times)!.toFixed(1)} ms, fastest ${times[0].toFixed(1)} ms (target: under 20 ms)`,
  );
}

main()
  .catch((err) => {
    console.error(`bench:http failed: ${err instanceof Error ? err.stack : err}`);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());
