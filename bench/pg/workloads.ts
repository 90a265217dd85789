import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { onCleanup, runCmd } from "./procs";

/** How a client reaches one contender: libpq environment variables. */
export type Endpoint = { PGHOST: string; PGPORT: string; PGUSER: string; PGPASSWORD: string; PGDATABASE: string; PGSSLMODE: string };

export type Scenario = { mode: "simple" | "extended"; clients: number; threads: number };

export const SCENARIOS: Scenario[] = [
  { mode: "simple", clients: 1, threads: 1 },
  { mode: "simple", clients: 8, threads: 2 },
  { mode: "extended", clients: 1, threads: 1 },
  { mode: "extended", clients: 8, threads: 2 },
];

export const scenarioName = (s: Scenario) => `${s.mode} c${s.clients}`;

export type PgbenchResult = {
  tps: number | null;
  latencyMs: number | null;
  transactions: number | null;
  failed: number | null;
  error?: string;
  /** CPU of the contender's own process, and of the Postgres backends of the gateway's pool, per transaction. */
  proxyCpuUs?: number | null;
  gatewayDbCpuUs?: number | null;
};

/** pgbench select-only against one endpoint; tps excludes the initial connection time. */
export async function runPgbench(ep: Endpoint, s: Scenario, seconds: number): Promise<PgbenchResult> {
  const args = ["-n", "-S", "-M", s.mode, "-c", String(s.clients), "-j", String(s.threads), "-T", String(seconds)];
  const r = await runCmd("pgbench", args, { env: { ...ep, PGCONNECT_TIMEOUT: "10" }, timeoutMs: (seconds + 60) * 1000 });
  const num = (re: RegExp) => {
    const m = re.exec(r.stdout);
    return m ? Number(m[1]) : null;
  };
  const result: PgbenchResult = {
    tps: num(/^tps = ([\d.]+)/m),
    latencyMs: num(/^latency average = ([\d.]+) ms/m),
    transactions: num(/^number of transactions actually processed: (\d+)/m),
    failed: num(/^number of failed transactions: (\d+)/m),
  };
  if (r.code !== 0 || result.tps === null) result.error = lastLines(`${r.stderr}\n${r.stdout}`, 6) || `pgbench exited with ${r.code}`;
  return result;
}

export type ConnectResult = {
  /** pgbench's "average connection time" (ms) and its tps including the connections. */
  connectMs: number | null;
  tps: number | null;
  connections: number | null;
  error?: string;
  proxyCpuUs?: number | null;
};

export const CONNECT_CLIENTS = 2;
let selectOneScript: string | undefined;

/** A new connection per transaction (`pgbench -C`), each transaction `select 1`: what agents opening short sessions cost. */
export async function runConnect(ep: Endpoint, seconds: number): Promise<ConnectResult> {
  if (!selectOneScript) {
    const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-bench-connect-"));
    onCleanup("connect script folder", () => rmSync(dir, { recursive: true, force: true }));
    writeFileSync((selectOneScript = path.join(dir, "select-one.sql")), "select 1;\n");
  }
  const c = String(CONNECT_CLIENTS);
  const args = ["-n", "-C", "-f", selectOneScript, "-c", c, "-j", c, "-T", String(seconds)];
  const r = await runCmd("pgbench", args, { env: { ...ep, PGCONNECT_TIMEOUT: "10" }, timeoutMs: (seconds + 60) * 1000 });
  const num = (re: RegExp) => {
    const m = re.exec(r.stdout);
    return m ? Number(m[1]) : null;
  };
  const result: ConnectResult = {
    connectMs: num(/^average connection time = ([\d.]+) ms/m),
    tps: num(/^tps = ([\d.]+)/m),
    connections: num(/^number of transactions actually processed: (\d+)/m),
  };
  if (r.code !== 0 || result.connectMs === null) result.error = lastLines(`${r.stderr}\n${r.stdout}`, 6) || `pgbench exited with ${r.code}`;
  return result;
}

export type FetchResult = { rows: number | null; seconds: number; rowsPerSec: number | null; error?: string };

export const FETCH_ROWS = 1_000_000;
const FETCH_SQL = `select g, md5(g::text) from generate_series(1, ${FETCH_ROWS}) g`;

/**
 * Fetches a million rows through one endpoint with psql; the output goes to a counter instead of
 * a file, so what is timed is the data path (psql buffers the whole result, as it always does).
 */
export async function runFetch(ep: Endpoint): Promise<FetchResult> {
  const r = await runCmd("bash", ["-c", `set -o pipefail; psql -X -qAt -v ON_ERROR_STOP=1 -c "${FETCH_SQL}" | wc -l`], {
    env: { ...ep, PGCONNECT_TIMEOUT: "10" },
    timeoutMs: 300_000,
  });
  const seconds = r.ms / 1000;
  const rows = Number(r.stdout.trim());
  if (r.code !== 0 || rows !== FETCH_ROWS) {
    return { rows: Number.isFinite(rows) ? rows : null, seconds, rowsPerSec: null, error: lastLines(r.stderr, 6) || `psql returned ${rows} rows` };
  }
  return { rows, seconds, rowsPerSec: rows / seconds };
}

function lastLines(text: string, n: number): string {
  return text.trim().split("\n").slice(-n).join("\n").trim();
}

export function median(values: Array<number | null>): number | null {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}
