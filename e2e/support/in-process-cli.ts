import path from "node:path";
import { runCli } from "../../gateway/cli/run-cli";
import { run, type RunResult } from "./run-program";

const root = path.resolve(import.meta.dirname, "../..");

/**
 * The `gatehouse` CLI for tests that use it to set things up or read them back: the same command
 * code (argument parsing, the cli.* audit event, the output) run in this process, because a CLI
 * process per call costs seconds on these machines and the suites make hundreds of calls. What
 * only the process adds (the bin script, exit statuses, stdin) is tested through `cliProcess`.
 */
export function inProcessCli(env: Record<string, string>): (...args: string[]) => Promise<RunResult> {
  return async (...args) => {
    const started = performance.now();
    let stdout = "";
    let stderr = "";
    const code = await runCli(args, {
      env: { ...process.env, ...env },
      out: (line) => void (stdout += line + "\n"),
      err: (text) => void (stderr += text),
      stdin: async () => "",
    });
    return { code, stdout, stderr, ms: performance.now() - started };
  };
}

/** The real `gatehouse` program, as a person runs it (bin/gatehouse.mjs), in a process of its own. */
export function cliProcess(env: Record<string, string>): (...args: string[]) => Promise<RunResult> {
  return (...args) => run(process.execPath, [path.join(root, "bin/gatehouse.mjs"), ...args], { env });
}
