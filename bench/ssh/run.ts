/**
 * `npm run bench:ssh`: moves 200 MB (BENCH_MB) through OpenSSH directly to a private sshd and
 * through the gateway (its own process, recording on), by `cat` over an exec channel in each
 * direction and by scp (SFTP) upload, alternating contenders; prints MB/s, the ratio
 * gateway/direct, and the gateway's CPU seconds and peak RSS.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { randomBytes } from "node:crypto";
import os, { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "../../e2e/support/free-port";
import { psqlAdmin, startPgServer } from "../../e2e/support/pg-server";
import { startSshServer, sshClient } from "../../e2e/support/ssh-server";
import { stopPg } from "../pg/observe";
import { cleanupAll, cpuSecondsOf, findProcess, machineBusySeconds, memoryOf, onCleanup, runCmd, startService } from "../pg/procs";
import { median } from "../pg/workloads";

const MB = Number(process.env.BENCH_MB ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const root = path.resolve(import.meta.dirname, "../..");
const say = (m: string) => console.error(`[bench:ssh ${new Date().toISOString().slice(11, 19)}] ${m}`);

async function main() {
  const pg = await startPgServer();
  onCleanup("postgres", () => stopPg(pg));
  const sshd = await startSshServer();
  onCleanup("sshd", () => sshd.stop());
  psqlAdmin(pg, "create database gatehouse_bench");
  const dataDir = mkdtempSync(path.join(tmpdir(), "gatehouse-bench-ssh-"));
  onCleanup("data", () => rmSync(dataDir, { recursive: true, force: true }));
  const sshPort = await freePort();
  const env: Record<string, string> = {
    DATABASE_URL: `postgres://postgres@localhost/gatehouse_bench?host=${encodeURIComponent(pg.socketDir)}&port=${pg.port}`,
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_SECRET_KEY: randomBytes(32).toString("hex"),
    GATEHOUSE_PG_PORT: "0",
    GATEHOUSE_MYSQL_PORT: "0",
    GATEHOUSE_SSH_PORT: String(sshPort),
    GATEHOUSE_HTTP_PORT: "0",
    GATEHOUSE_INSTANCE: "bench-ssh",
  };
  // BENCH_GATEWAY_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") runs it as `node ARGS bin/gateway.mjs`.
  const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
  const svc = await startService("gateway", process.execPath, [...nodeArgs, "bin/gateway.mjs"], { env, cwd: root, ready: /gateway ready/, timeoutMs: 90_000 });
  onCleanup("gateway", () => svc.stop());
  const gwPid = findProcess(svc.proc.pid!, "node")!;
  const cli = async (...args: string[]) => {
    const r = await runCmd(process.execPath, [path.join(root, "bin/gatehouse.mjs"), ...args], { env });
    if (r.code !== 0) throw new Error(`gatehouse ${args.join(" ")}: ${r.stderr}`);
    return r.stdout.trim();
  };
  await cli("connections", "add", "bench-ssh", "--type", "ssh", "--host", "127.0.0.1", "--port", String(sshd.port), "--user", sshd.user, "--private-key-file", sshd.clientKeyFile);
  await cli("grant", "bench", "bench-ssh");
  const gw = sshClient(sshd.dir, sshPort, await cli("keys", "issue", "bench-agent", "--groups", "bench"));
  const direct = {
    opts: ["-p", String(sshd.port), "-i", sshd.clientKeyFile, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes"],
    env: {} as Record<string, string>,
    dest: `${sshd.user}@127.0.0.1`,
  };
  const through = { opts: gw.opts, env: gw.env, dest: "bench-ssh@127.0.0.1" };
  const file = path.join(sshd.dir, "payload.bin");
  await runCmd("bash", ["-c", `head -c ${MB}M /dev/urandom > ${file}`]);
  const bytes = statSync(file).size;

  type Way = "download (cat)" | "upload (cat)" | "upload (scp)";
  const ways: Array<[Way, (c: typeof direct) => string[]]> = [
    ["download (cat)", (c) => ["-c", `ssh ${c.opts.join(" ")} ${c.dest} 'cat ${file}' | wc -c`]],
    ["upload (cat)", (c) => ["-c", `ssh ${c.opts.join(" ")} ${c.dest} 'cat > /dev/null' < ${file} && echo ${bytes}`]],
    ["upload (scp)", (c) => ["-c", `scp ${c.opts.map((o) => (o === "-p" ? "-P" : o)).join(" ")} ${file} ${c.dest}:${file}.copy && stat -c %s ${file}.copy`]],
  ];
  // Connecting costs something on every copy (the gateway does two handshakes, checks the token and
  // writes the session row): measured alone, so the copies can be read with and without it.
  const connectSeconds = new Map<string, number>();
  for (const [who, c] of [
    ["direct", direct],
    ["gateway", through],
  ] as const) {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await runCmd("bash", ["-c", `ssh ${c.opts.join(" ")} ${c.dest} true`], { env: c.env });
      if (r.code !== 0) throw new Error(`ssh ${who} true failed: ${r.stderr}`);
      times.push(r.ms / 1000);
    }
    connectSeconds.set(who, median(times) ?? 0);
    say(`connect + run \`true\` ${who}: ${(connectSeconds.get(who)! * 1000).toFixed(0)} ms`);
  }
  const results = new Map<string, number[]>();
  const steady = new Map<string, number[]>();
  const cpu = new Map<Way, number[]>();
  // The whole machine's CPU per copy (ssh, sshd, cat, the gateway and anything else running): on a
  // machine whose cores the direct copy already fills, a third process in the path cannot keep its pace.
  const machine = new Map<string, number[]>();
  const cores = new Map<string, number[]>();
  const push = (m: Map<string, number[]>, k: string, v: number) => (m.get(k) ?? m.set(k, []).get(k)!).push(v);
  let peak = 0;
  say(`${(bytes / 1e6).toFixed(0)} MB, ${ROUNDS} rounds, recording on`);
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [way, args] of ways) {
      const order = round % 2 ? (["direct", "gateway"] as const) : (["gateway", "direct"] as const);
      for (const who of order) {
        const c = who === "direct" ? direct : through;
        const cpu0 = cpuSecondsOf(gwPid) ?? 0;
        const busy0 = machineBusySeconds();
        const r = await runCmd("bash", args(c), { env: c.env, timeoutMs: 600_000 });
        if (r.code !== 0 || Number(r.stdout.trim()) !== bytes) throw new Error(`${way} ${who} failed: ${r.stdout} ${r.stderr}`);
        const mbps = bytes / 1e6 / (r.ms / 1000);
        const busy = machineBusySeconds() - busy0;
        push(machine, `${way}|${who}`, busy);
        push(cores, `${way}|${who}`, busy / (r.ms / 1000));
        push(results, `${way}|${who}`, mbps);
        const transfer = Math.max(0.001, r.ms / 1000 - connectSeconds.get(who)!);
        push(steady, `${way}|${who}`, bytes / 1e6 / transfer);
        if (who === "gateway") (cpu.get(way) ?? cpu.set(way, []).get(way)!).push((cpuSecondsOf(gwPid) ?? 0) - cpu0);
        peak = Math.max(peak, memoryOf(gwPid)?.hwmMiB ?? 0);
        say(`round ${round} ${way.padEnd(15)} ${who.padEnd(8)} ${mbps.toFixed(1)} MB/s`);
      }
    }
  }
  console.log(`\nSSH benchmark: ${(bytes / 1e6).toFixed(0)} MB per copy, medians of ${ROUNDS} rounds, loopback, recording on`);
  console.log(`connect + \`true\`: direct ${(connectSeconds.get("direct")! * 1000).toFixed(0)} ms, gateway ${(connectSeconds.get("gateway")! * 1000).toFixed(0)} ms`);
  console.log(`${"copy".padEnd(16)}${"direct MB/s".padStart(12)}${"gateway MB/s".padStart(14)}${"ratio".padStart(8)}${"gateway CPU s".padStart(15)}${"ratio, connect excluded".padStart(25)}`);
  for (const [way] of ways) {
    const d = median(results.get(`${way}|direct`)!) ?? NaN;
    const g = median(results.get(`${way}|gateway`)!) ?? NaN;
    const c = median(cpu.get(way)!) ?? NaN;
    const steadyRatio = (median(steady.get(`${way}|gateway`)!) ?? NaN) / (median(steady.get(`${way}|direct`)!) ?? NaN);
    console.log(`${way.padEnd(16)}${d.toFixed(1).padStart(12)}${g.toFixed(1).padStart(14)}${(g / d).toFixed(2).padStart(8)}${c.toFixed(2).padStart(15)}${steadyRatio.toFixed(2).padStart(25)}`);
  }
  console.log(`\nthe whole machine's CPU per copy (${os.cpus().length} cores; every process, the copy's and any other):`);
  console.log(`${"copy".padEnd(16)}${"direct CPU s".padStart(13)}${"gateway CPU s".padStart(15)}${"direct cores busy".padStart(19)}${"gateway cores busy".padStart(20)}`);
  for (const [way] of ways) {
    const f = (m: Map<string, number[]>, who: string) => (median(m.get(`${way}|${who}`)!) ?? NaN).toFixed(2);
    console.log(`${way.padEnd(16)}${f(machine, "direct").padStart(13)}${f(machine, "gateway").padStart(15)}${f(cores, "direct").padStart(19)}${f(cores, "gateway").padStart(20)}`);
  }
  console.log(`gateway peak RSS (VmHWM): ${Math.round(peak)} MiB`);
}

main()
  .catch((err) => {
    console.error(`bench:ssh failed: ${err instanceof Error ? err.message : err}`);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());
