import { spawn } from "node:child_process";

export type RunResult = { code: number; stdout: string; stderr: string; ms: number };

/**
 * Runs a real client program without blocking this process's event loop (tests host the gateway
 * in-process; the benchmark samples memory while clients run) and collects its output.
 */
export function run(
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string>; input?: string | Buffer; timeoutMs?: number; onStdout?: (soFar: string) => void; signal?: AbortSignal } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio: ["pipe", "pipe", "pipe"], signal: opts.signal });
    child.on("error", () => {}); // an abort (the test stopping it) ends it like a signal: its "close" still resolves
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
      opts.onStdout?.(stdout);
    });
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, ms: performance.now() - started });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(opts.input ?? "");
  });
}
