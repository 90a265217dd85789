import { run } from "../../e2e/support/run-program";
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";

/** Undo steps for everything the benchmark started, run last-in first-out on exit, error or Ctrl-C. */
const cleanups: Array<{ label: string; fn: () => unknown }> = [];
let cleaning: Promise<void> | undefined;

export function onCleanup(label: string, fn: () => unknown): void {
  cleanups.push({ label, fn });
}

/** True once cleanup has begun (Ctrl-C or the end): the benchmark stops starting new runs. */
export const stopping = (): boolean => cleaning !== undefined;

export function cleanupAll(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length) {
      const { label, fn } = cleanups.pop()!;
      if (process.env.BENCH_VERBOSE) console.error(`cleanup: ${label}`);
      try {
        await fn();
      } catch (e) {
        console.error(`cleanup of ${label} failed: ${e instanceof Error ? e.message : e}`);
      }
    }
  })();
  return cleaning;
}

export type { RunResult } from "../../e2e/support/run-program";

/** Runs a client program asynchronously (so the RSS sampler keeps ticking) and collects its output. */
export const runCmd = (cmd: string, args: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}) => run(cmd, args, opts);

export type Service = { name: string; proc: ChildProcess; log: () => string; stop: () => Promise<void> };

/**
 * Starts a long-running process in its own process group, keeps the tail of its output,
 * waits until a line matching `ready` appears, and registers its shutdown.
 */
export async function startService(name: string, cmd: string, args: string[], opts: { env?: Record<string, string>; cwd?: string; ready: RegExp; timeoutMs?: number }): Promise<Service> {
  const proc = spawn(cmd, args, { env: { ...process.env, ...opts.env }, cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let out = "";
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  proc.stdout!.on("data", keep);
  proc.stderr!.on("data", keep);
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const group = (sig: NodeJS.Signals) => {
      try {
        process.kill(-proc.pid!, sig);
      } catch {
        /* already gone */
      }
    };
    group("SIGTERM");
    const timer = setTimeout(() => group("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
    group("SIGKILL"); // anything the leader left behind in its group
  };
  onCleanup(name, stop);
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  while (!opts.ready.test(out)) {
    if (stopping()) throw new Error("interrupted");
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${name} exited before it was ready:\n${out}`);
    if (Date.now() > deadline) throw new Error(`${name} was not ready in time:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { name, proc, log: () => out, stop };
}

const procFile = (pid: number, file: string): string | undefined => {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "utf8");
  } catch {
    return undefined;
  }
};

/** The deepest process named `comm` in the tree under `pid` (tsx and runuser fork the real one). */
export function findProcess(pid: number, comm: string): number | undefined {
  return findProcesses(pid, comm).at(-1);
}

/** Every process named `comm` in the tree under `pid` (a gateway with GATEHOUSE_WORKERS: its primary and its workers), parents first. */
export function findProcesses(pid: number, comm: string): number[] {
  const queue = [pid];
  const found: number[] = [];
  while (queue.length) {
    const p = queue.shift()!;
    if (procFile(p, "comm")?.trim() === comm) found.push(p);
    const children = procFile(p, `task/${p}/children`);
    if (children) queue.push(...children.trim().split(/\s+/).filter(Boolean).map(Number));
  }
  return found;
}

/** VmRSS and VmHWM of a process in MiB, or undefined once it is gone. */
export function memoryOf(pid: number): { rssMiB: number; hwmMiB: number } | undefined {
  const status = procFile(pid, "status");
  if (!status) return undefined;
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rssMiB: kb("VmRSS") / 1024, hwmMiB: kb("VmHWM") / 1024 };
}

/** User + system CPU seconds a process has used so far (clock ticks are 1/100 s on Linux). */
export function cpuSecondsOf(pid: number): number | undefined {
  const stat = procFile(pid, "stat");
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime and stime, fields 14 and 15 of stat
}

/** CPU seconds the whole machine has spent busy (every core, every process) since boot, from /proc/stat. */
export function machineBusySeconds(): number {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = fields;
  return (user + nice + system + irq + softirq + (steal ?? 0)) / 100;
}

/** Samples VmRSS of a few processes every `everyMs`, keeping the peak overall and in a resettable window. */
export class RssSampler {
  readonly peak = new Map<string, number>();
  readonly windowPeak = new Map<string, number>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly pids: Map<string, number>,
    everyMs = 100,
  ) {
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
    onCleanup("rss sampler", () => this.stop());
  }

  sample(): void {
    for (const [name, pid] of this.pids) {
      const m = memoryOf(pid);
      if (!m) continue;
      this.peak.set(name, Math.max(this.peak.get(name) ?? 0, m.rssMiB));
      this.windowPeak.set(name, Math.max(this.windowPeak.get(name) ?? 0, m.rssMiB));
    }
  }

  resetWindow(): void {
    this.windowPeak.clear();
    this.sample();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
