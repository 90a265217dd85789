import { afterAll, describe, expect, inject, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "../support/free-port";

// `npm start` with no DATABASE_URL: the embedded PGlite database, served on a unix socket to the
// gateway child and the CLI. The console is off here: its build is checked on its own.
const root = path.resolve(import.meta.dirname, "../..");
const dataDir = mkdtempSync(path.join(tmpdir(), "gatehouse-embedded-"));
const running: ChildProcess[] = [];
let gwPort = 0;

type Result = { code: number | null; stdout: string; stderr: string };

/** The environment of a fresh machine: no DATABASE_URL, even if this shell has one. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {
    ...process.env,
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_CONSOLE: "off",
    GATEHOUSE_PG_PORT: String(gwPort),
    GATEHOUSE_MYSQL_PORT: "0",
    GATEHOUSE_SSH_PORT: "0",
    GATEHOUSE_HTTP_PORT: "0",
    ...extra,
  };
  delete e.DATABASE_URL;
  return e;
}

/** Runs a program to its end without blocking this process (spawnSync would). */
function run(cmd: string, args: string[], extraEnv: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: env(extraEnv), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
  });
}

const cli = (...args: string[]) => run(process.execPath, [path.join(root, "bin/gatehouse.mjs"), ...args]);
const psql = (key: string, sql: string) =>
  run("psql", [`host=127.0.0.1 port=${gwPort} dbname=embedded-target user=agent-e sslmode=disable`, "-X", "-qAtc", sql], { PGPASSWORD: key, PGCONNECT_TIMEOUT: "10" });

/** Starts `npm start`'s script and resolves with its output once the banner is out. */
async function start(): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], { cwd: root, env: env() });
  running.push(child);
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  // initdb, migrations and the gateway: seconds when quiet, a minute or more on a loaded 2-core machine.
  const deadline = Date.now() + 100_000;
  while (!out.includes("Gatehouse is running")) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`npm start did not come up:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, output: () => out };
}

function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  child.kill("SIGTERM");
  return exited;
}

afterAll(async () => {
  for (const c of running) if (c.exitCode === null && c.signalCode === null) await stop(c);
  rmSync(dataDir, { recursive: true, force: true });
});

describe("[START][EMBEDDED] npm start on a fresh machine", () => {
  it("serves the gateway on the embedded database, stops cleanly on SIGTERM and keeps its data for the next start", async () => {
    gwPort = await freePort();
    const first = await start();
    expect(first.output()).toContain(`postgres   127.0.0.1:${gwPort}`);
    expect(first.output()).toContain("npx gatehouse connections add");

    const pg = inject("pg");
    const add = await cli("connections", "add", "embedded-target", "--type", "postgres", "--url", `postgres://app:secret@127.0.0.1:${pg.port}/shop?sslmode=disable`);
    expect(add.stderr).toBe("");
    expect((await cli("grant", "analysts", "embedded-target")).code).toBe(0);
    const issued = await cli("keys", "issue", "agent-e", "--groups", "analysts");
    expect(issued.code).toBe(0);
    const key = issued.stdout.trim();

    const answer = await psql(key, "select 40 + 2");
    expect(answer.stderr).toBe("");
    expect(answer.stdout.trim()).toBe("42");
    await expect.poll(async () => (await cli("audit", "list", "--json")).stdout, { timeout: 15_000 }).toContain('"statement":"select 40 + 2"');

    // A second start on the same folder would corrupt the database: it must refuse and leave the first alone.
    const second = await run(process.execPath, ["--import", "tsx", "scripts/start.ts"], { GATEHOUSE_PG_PORT: "0" });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`another Gatehouse is already using ${dataDir}`);
    expect((await psql(key, "select 'still here'")).stdout.trim()).toBe("still here");

    expect(await stop(first.child)).toBe(0);
    expect(first.output()).toContain("Gatehouse stopped.");
    const offline = await cli("connections", "list");
    expect(offline.code).toBe(1);
    expect(offline.stderr).toContain("is not running: start Gatehouse with `npm start` first");

    await start();
    expect((await cli("connections", "list", "--json")).stdout).toContain('"name":"embedded-target"');
    expect((await psql(key, "select 'kept'")).stdout.trim()).toBe("kept");
    await expect.poll(async () => (await cli("audit", "list", "--json")).stdout, { timeout: 15_000 }).toContain(`"statement":"select 'kept'"`);
    expect((await cli("audit", "list", "--json")).stdout).toContain('"statement":"select 40 + 2"');
  }, 300_000);
});
