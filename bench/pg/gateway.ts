import { mkdtempSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "../../e2e/support/free-port";
import { psqlAdmin, type PgServer } from "../../e2e/support/pg-server";
import { findProcesses, onCleanup, runCmd, startService, type Service } from "./procs";

/** pid: the process serving sessions (with workers, the first worker); pids: every process of the gateway (the primary and its workers), for CPU. */
export type BenchGateway = { port: number; pid: number; pids: number[]; key: string; svc: Service; stateDb: string };

const root = path.resolve(import.meta.dirname, "../..");

/**
 * One gateway process (`node bin/gateway.mjs`, compiled, as `npm run gateway` runs it) with its state in its
 * own database of the private server, a connection to the bench database granted to a group,
 * and a key for an identity in that group.
 */
export async function startBenchGateway(pg: PgServer, target: { database: string; user: string; password: string }): Promise<BenchGateway> {
  const stateDb = "gatehouse_bench";
  psqlAdmin(pg, `create database ${stateDb}`);
  const dataDir = mkdtempSync(path.join(tmpdir(), "gatehouse-bench-data-"));
  onCleanup("gateway data folder", () => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const env: Record<string, string> = {
    DATABASE_URL: `postgres://postgres@localhost/${stateDb}?host=${encodeURIComponent(pg.socketDir)}&port=${pg.port}`,
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_SECRET_KEY: randomBytes(32).toString("hex"),
    GATEHOUSE_PG_PORT: String(port),
    GATEHOUSE_MYSQL_PORT: "0",
    GATEHOUSE_SSH_PORT: "0",
    GATEHOUSE_HTTP_PORT: "0",
    GATEHOUSE_INSTANCE: "bench",
    // BENCH_GATEWAY_WORKERS=N: the gateway as N worker processes behind its ports (GATEHOUSE_WORKERS).
    GATEHOUSE_WORKERS: process.env.BENCH_GATEWAY_WORKERS ?? process.env.GATEHOUSE_WORKERS ?? "1",
  };
  // BENCH_GATEWAY_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") runs it as `node ARGS bin/gateway.mjs`.
  const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
  const [cmd, args] = [process.execPath, [...nodeArgs, "bin/gateway.mjs"]];
  const svc = await startService("gateway", cmd, args, {
    env,
    cwd: root,
    ready: /gateway ready/,
    timeoutMs: 90_000,
  });
  const pids = findProcesses(svc.proc.pid!, "node");
  // Alone, the last node process of the tree (npm or a shell may sit above it); with workers, the first worker.
  const pid = pids.length > 1 && env.GATEHOUSE_WORKERS !== "1" ? pids[1] : pids.at(-1);
  if (!pid) throw new Error("the gateway started but its node process was not found");
  const cli = async (...args: string[]) => {
    const r = await runCmd(process.execPath, [path.join(root, "bin/gatehouse.mjs"), ...args], { env });
    if (r.code !== 0) throw new Error(`gatehouse ${args.join(" ")} failed:\n${r.stderr}`);
    return r.stdout.trim();
  };
  const url = `postgres://${target.user}:${encodeURIComponent(target.password)}@127.0.0.1:${pg.port}/${target.database}?sslmode=disable`;
  await cli("connections", "add", "bench", "--type", "postgres", "--url", url);
  await cli("grant", "bench", "bench");
  const key = await cli("keys", "issue", "bench-agent", "--groups", "bench");
  // BENCH_POLICY=1 puts a realistic guardrail policy (bench/pg/realistic-policy.json) on the connection.
  if (process.env.BENCH_POLICY) await cli("policies", "apply", "bench", "-f", path.join(import.meta.dirname, "realistic-policy.json"));
  return { port, pid, pids: env.GATEHOUSE_WORKERS === "1" ? [pid] : pids, key, svc, stateDb };
}
