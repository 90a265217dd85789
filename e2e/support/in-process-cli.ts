import { runCli } from "../../gateway/cli/run-cli";
import type { RunResult } from "./run-program";

/**
 * The `gatehouse` CLI for tests that use it to set things up or read them back: the same command
 * code (argument parsing, the cli.* audit event, the output) run in this process, because a CLI
 * process per call costs seconds on these machines and the suites make hundreds of calls. What
 * only the process adds (bin/gatehouse.mjs, stdin) is tested where tests spawn it: e2e/start,
 * e2e/audit/gateway-process.ts and the browser tests' account set-up (e2e/console/support/people.ts).
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
