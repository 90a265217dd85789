import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "../../e2e/support/free-port";
import { psqlAdmin, type PgServer } from "../../e2e/support/pg-server";
import { findProcess, onCleanup, runCmd, startService, type Service } from "../pg/procs";

const root = path.resolve(import.meta.dirname, "../..");

/** 6 columns: 2 under column rules (email: token, card: partial); every other text value goes through the detectors. */
export const MASKING_RULES = {
  columns: [
    { column: "people.email", style: "token" },
    { column: "people.card", style: "partial" },
  ],
  detectors: { style: "redact" },
};

/** The table the benchmark fetches; one row in a hundred carries an e-mail in its note, so detectors do find things. */
export function seedSql(rows: number): string {
  return `create table people (id int primary key, name text, email text, card text, amount numeric(10,2), note text);
insert into people
  select g, 'Customer ' || g, 'user' || g || '@example.com', '4111 1111 1111 ' || lpad((g % 10000)::text, 4, '0'), (g % 100000) / 100.0,
         case when g % 100 = 0 then 'ask support-' || g || '@example.org about it' else 'order ' || g || ' shipped on time' end
  from generate_series(1, ${rows}) g;
analyze people;`;
}

export type MaskBenchGateway = { port: number; pid: number; key: string; svc: Service };

/**
 * One gateway process (as `npm run gateway` runs it) serving two connections to the same
 * database: `plain` without masking rules and `masked` with MASKING_RULES.
 */
export async function startMaskBenchGateway(pg: PgServer, target: { database: string; user: string; password: string }): Promise<MaskBenchGateway> {
  const stateDb = "gatehouse_mask_bench";
  psqlAdmin(pg, `create database ${stateDb}`);
  const dataDir = mkdtempSync(path.join(tmpdir(), "gatehouse-mask-bench-"));
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
    GATEHOUSE_INSTANCE: "mask-bench",
  };
  // BENCH_GATEWAY_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") runs it as `node ARGS bin/gateway.mjs`.
  const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
  const [cmd, args] = [process.execPath, [...nodeArgs, "bin/gateway.mjs"]];
  const svc = await startService("gateway", cmd, args, { env, cwd: root, ready: /gateway ready/, timeoutMs: 90_000 });
  const pid = findProcess(svc.proc.pid!, "node");
  if (!pid) throw new Error("the gateway started but its node process was not found");
  const cli = async (...args: string[]) => {
    const r = await runCmd(process.execPath, [path.join(root, "bin/gatehouse.mjs"), ...args], { env });
    if (r.code !== 0) throw new Error(`gatehouse ${args.join(" ")} failed:\n${r.stderr}`);
    return r.stdout.trim();
  };
  const url = `postgres://${target.user}:${encodeURIComponent(target.password)}@127.0.0.1:${pg.port}/${target.database}?sslmode=disable`;
  const rulesFile = path.join(dataDir, "rules.json");
  writeFileSync(rulesFile, JSON.stringify(MASKING_RULES));
  for (const name of ["plain", "masked"]) {
    await cli("connections", "add", name, "--type", "postgres", "--url", url);
    await cli("grant", "bench", name);
  }
  await cli("masking", "apply", "masked", "-f", rulesFile);
  const key = await cli("keys", "issue", "bench-agent", "--groups", "bench");
  return { port, pid, key, svc };
}
