import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import type pg from "pg";
import { run, type RunResult } from "../support/run-program";

const root = path.resolve(import.meta.dirname, "../..");

export type GatewayProcess = { proc: ChildProcess; log: () => string; kill9: () => Promise<void>; stop: () => Promise<void> };

/** One gateway as `npm run gateway` runs it, in its own process (so that it can be killed with SIGKILL), ready once its postgres listener is. */
export async function startGatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  const proc = spawn(process.execPath, ["bin/gateway.mjs"], { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the gateway did not start in time:\n${out}`)), 90_000);
    const onData = (d: Buffer) => {
      out += d;
      if (/gateway ready/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout!.on("data", onData);
    proc.stderr!.on("data", onData);
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited (${code}) before it was ready:\n${out}`));
    });
  });
  return {
    proc,
    log: () => out,
    async kill9() {
      proc.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill("SIGTERM");
      await exited;
    },
  };
}

/** The CLI with the gateway's environment. */
export function gatehouse(env: Record<string, string>, ...args: string[]): Promise<RunResult> {
  return run(process.execPath, [path.join(root, "bin/gatehouse.mjs"), ...args], { env });
}

/** Each session of one instance and protocol, with how many session.end events it has (a kill test wants 1 each). */
export async function sessionEndCounts(db: pg.Client, instance: string, protocol: string): Promise<Array<{ id: string; ends: number }>> {
  const { rows } = await db.query<{ id: string; ends: number }>(
    `select s.id, count(e.id)::int as ends from sessions s left join audit_events e on e.session_id = s.id and e.action = 'session.end'
      where s.gateway_instance = $1 and s.protocol = $2 group by s.id`,
    [instance, protocol],
  );
  return rows;
}
