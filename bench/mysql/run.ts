/**
 * `npm run bench:mysql`: sysbench-style point selects (`select c from sbtest where id = ?`, text
 * protocol) from 1 and 8 mysql2 clients for BENCH_SECONDS each, against a private mariadbd directly,
 * through a bare Node TCP pipe (bench/pg/bare-pipe.ts: what a Node hop costs before any protocol
 * work), and through the gateway (its own process, as `npm run gateway` runs it); contenders
 * alternate each round. Prints statements per second, the ratio gateway / bare pipe (target: 0.9 or
 * more) and the CPU per statement of the bare pipe and of the gateway.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import mysql from "mysql2/promise";
import { freePort } from "../../e2e/support/free-port";
import { psqlAdmin, startPgServer } from "../../e2e/support/pg-server";
import { startMariadb } from "../../e2e/support/mariadb-server";
import { stopPg } from "../pg/observe";
import { cleanupAll, cpuSecondsOf, findProcess, onCleanup, runCmd, startService } from "../pg/procs";
import { median } from "../pg/workloads";
import { measureRelay } from "./relay-cpu";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ROWS = 10_000;
const root = path.resolve(import.meta.dirname, "../..");
const say = (m: string) => console.error(`[bench:mysql ${new Date().toISOString().slice(11, 19)}] ${m}`);
type Contender = "direct" | "bare-pipe" | "gateway";
/** BENCH_CONTENDERS=gateway (comma-separated): only these are measured (a profile or trace of one); BENCH_CLIENTS=1: only these client counts. */
const CONTENDERS = process.env.BENCH_CONTENDERS?.split(",").map((c) => c.trim() as Contender);
const CLIENTS = (process.env.BENCH_CLIENTS ?? "1,8").split(",").map(Number);

async function main() {
  const pg = await startPgServer();
  onCleanup("postgres", () => stopPg(pg));
  const db = await startMariadb();
  onCleanup("mariadbd", () => db.stop());
  await db.admin(
    `create table shop.sbtest (id int primary key, k int not null, c char(120) not null, pad char(60) not null);
     insert into shop.sbtest select seq, seq mod 1000, repeat(char(97 + seq mod 26), 120), repeat('x', 60) from seq_1_to_${ROWS};`,
    "shop",
  );
  psqlAdmin(pg, "create database gatehouse_bench");
  const dataDir = mkdtempSync(path.join(tmpdir(), "gatehouse-bench-mysql-"));
  onCleanup("data", () => rmSync(dataDir, { recursive: true, force: true }));
  const mysqlPort = await freePort();
  const env: Record<string, string> = {
    DATABASE_URL: `postgres://postgres@localhost/gatehouse_bench?host=${encodeURIComponent(pg.socketDir)}&port=${pg.port}`,
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_SECRET_KEY: randomBytes(32).toString("hex"),
    GATEHOUSE_PG_PORT: "0",
    GATEHOUSE_MYSQL_PORT: String(mysqlPort),
    GATEHOUSE_SSH_PORT: "0",
    GATEHOUSE_HTTP_PORT: "0",
    GATEHOUSE_INSTANCE: "bench-mysql",
  };
  // BENCH_GATEWAY_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") runs it as `node ARGS bin/gateway.mjs`.
  const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
  const [cmd, args] = [process.execPath, [...nodeArgs, "bin/gateway.mjs"]];
  const svc = await startService("gateway", cmd, args, { env, cwd: root, ready: /gateway ready/, timeoutMs: 90_000 });
  onCleanup("gateway", () => svc.stop());
  const gwPid = findProcess(svc.proc.pid!, "node")!;
  const cli = async (...args: string[]) => {
    const r = await runCmd(process.execPath, [path.join(root, "bin/gatehouse.mjs"), ...args], { env });
    if (r.code !== 0) throw new Error(`gatehouse ${args.join(" ")}: ${r.stderr}`);
    return r.stdout.trim();
  };
  await cli("connections", "add", "bench-mysql", "--type", "mysql", "--url", db.url("shop"), "--tls", "disable");
  await cli("grant", "bench", "bench-mysql");
  const key = await cli("keys", "issue", "bench-agent", "--groups", "bench");
  const pipePort = await freePort();
  const pipe = await startService("bare-pipe", path.join(root, "node_modules/.bin/tsx"), ["bench/pg/bare-pipe.ts", String(pipePort), String(db.port)], { cwd: root, ready: /listening/ });
  onCleanup("bare pipe", () => pipe.stop());
  const pipePid = findProcess(pipe.proc.pid!, "node")!;
  const proxyPid: Partial<Record<Contender, number>> = { "bare-pipe": pipePid, gateway: gwPid };

  const endpoints: Record<Contender, { port: number; user: string; password: string }> = {
    direct: { port: db.port, user: db.user, password: db.password },
    "bare-pipe": { port: pipePort, user: db.user, password: db.password },
    gateway: { port: mysqlPort, user: "bench-mysql", password: key },
  };
  const qps = new Map<string, number[]>();
  const cpuPerStatement = new Map<string, number[]>();
  say(`${ROWS} rows, ${SECONDS} s per run, ${ROUNDS} rounds`);
  for (let round = 1; round <= ROUNDS; round++) {
    for (const clients of CLIENTS) {
      const order: Contender[] = round % 2 ? ["direct", "bare-pipe", "gateway"] : ["gateway", "bare-pipe", "direct"];
      for (const who of order.filter((c) => !CONTENDERS || CONTENDERS.includes(c))) {
        const e = endpoints[who];
        const conns = await Promise.all(Array.from({ length: clients }, () => mysql.createConnection({ host: "127.0.0.1", port: e.port, user: e.user, password: e.password, database: "shop" })));
        const pid = proxyPid[who];
        const cpu0 = pid ? (cpuSecondsOf(pid) ?? 0) : 0;
        const until = performance.now() + SECONDS * 1000;
        const started = performance.now();
        const counts = await Promise.all(
          conns.map(async (c) => {
            let n = 0;
            while (performance.now() < until) {
              await c.query(`select c from sbtest where id = ${1 + Math.floor(Math.random() * ROWS)}`);
              n++;
            }
            return n;
          }),
        );
        const elapsed = (performance.now() - started) / 1000;
        const total = counts.reduce((a, b) => a + b, 0);
        await Promise.all(conns.map((c) => c.end()));
        const rate = total / elapsed;
        (qps.get(`${clients}|${who}`) ?? qps.set(`${clients}|${who}`, []).get(`${clients}|${who}`)!).push(rate);
        if (pid) (cpuPerStatement.get(`${clients}|${who}`) ?? cpuPerStatement.set(`${clients}|${who}`, []).get(`${clients}|${who}`)!).push((((cpuSecondsOf(pid) ?? 0) - cpu0) / total) * 1e6);
        say(`round ${round} ${clients} client(s) ${who.padEnd(9)} ${rate.toFixed(0)} statements/s`);
      }
    }
  }
  console.log(`\nMySQL benchmark: point selects (text protocol), medians of ${ROUNDS} rounds of ${SECONDS} s, loopback, MariaDB ${db.version}`);
  console.log(
    `${"clients".padEnd(8)}${"direct/s".padStart(10)}${"bare pipe/s".padStart(13)}${"gateway/s".padStart(11)}${"gw / pipe".padStart(11)}${"gw / direct".padStart(13)}${"CPU µs/stmt: pipe".padStart(19)}${"gateway".padStart(9)}`,
  );
  for (const clients of CLIENTS) {
    const m = (who: Contender) => median(qps.get(`${clients}|${who}`) ?? []) ?? NaN;
    const cpu = (who: Contender) => median(cpuPerStatement.get(`${clients}|${who}`) ?? []) ?? NaN;
    console.log(
      `${String(clients).padEnd(8)}${m("direct").toFixed(0).padStart(10)}${m("bare-pipe").toFixed(0).padStart(13)}${m("gateway").toFixed(0).padStart(11)}${(m("gateway") / m("bare-pipe")).toFixed(2).padStart(11)}${(m("gateway") / m("direct")).toFixed(2).padStart(13)}${cpu("bare-pipe").toFixed(0).padStart(19)}${cpu("gateway").toFixed(0).padStart(9)}`,
    );
  }
  console.log("\nWhere the gateway's CPU goes (in process, no sockets; bench/mysql/relay-cpu.ts):");
  for (const f of await measureRelay()) console.log(`  ${f.setup.padEnd(45)} ${f.usPerStatement.toFixed(1).padStart(7)} µs/statement`);
}

main()
  .catch((err) => {
    console.error(`bench:mysql failed: ${err instanceof Error ? err.message : err}`);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());
