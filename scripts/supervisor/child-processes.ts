import { spawn, type ChildProcess } from "node:child_process";

export type Child = {
  name: string;
  process: ChildProcess;
  /** Resolves with the exit code (or signal name) when the process has ended. */
  exited: Promise<number | string>;
};

export type ChildOptions = {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Every output line, without the prefix (to notice readiness). */
  onLine?: (line: string) => void;
};

/** Runs a child whose output lines are copied to ours, each prefixed with `[name]`. */
export function startChild(name: string, command: string, args: string[], opts: ChildOptions): Child {
  const proc = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
  forwardLines(proc.stdout!, process.stdout, name, opts.onLine);
  forwardLines(proc.stderr!, process.stderr, name, opts.onLine);
  const exited = new Promise<number | string>((resolve) => {
    proc.once("error", (err) => {
      process.stderr.write(`[${name}] could not start: ${err.message}\n`);
      resolve(-1);
    });
    proc.once("exit", (code, signal) => resolve(signal ?? code ?? -1));
  });
  return { name, process: proc, exited };
}

/** SIGTERM, then SIGKILL if it has not ended after `graceMs`. */
export async function stopChild(child: Child, graceMs = 10_000): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill("SIGTERM");
  const timer = setTimeout(() => {
    process.stderr.write(`[${child.name}] did not stop within ${graceMs / 1000} s: killing it\n`);
    child.process.kill("SIGKILL");
  }, graceMs);
  await child.exited;
  clearTimeout(timer);
}

export const describeExit = (how: number | string): string => (typeof how === "string" ? `killed by ${how}` : `exit code ${how}`);

function forwardLines(from: NodeJS.ReadableStream, to: NodeJS.WriteStream, name: string, onLine?: (line: string) => void) {
  let rest = "";
  const emit = (line: string) => {
    to.write(`[${name}] ${line}\n`);
    onLine?.(line);
  };
  from.setEncoding("utf8");
  from.on("data", (text: string) => {
    const lines = (rest + text).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) emit(line.replace(/\r$/, ""));
  });
  from.on("end", () => rest && emit(rest));
}
