import { afterAll, describe, expect, inject, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { run } from "../support/gateway-harness";
import { freePort } from "../support/pg-server";

// `npm start` with no DATABASE_URL: the embedded PGlite database, served on a unix socket to the
// gateway child and the CLI. The console is turned off here (its build has a test of its own later).
const root = path.resolve(import.meta.dirname, "../..");
const dataDir = mkdtempSync(path.join(tmpdir(), "gatehouse-embedded-"));
let supervisor: ChildProcess | undefined;
let gwPort = 0;

const env = () => {
  const e: Record<string, string> = { ...(process.env as Record<string, string>), GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_CONSOLE: "off", GATEHOUSE_PG_PORT: String(gwPort) };
  delete e.DATABASE_URL;
  return e;
};
const cli = (...args: string[]) => run(process.execPath, [path.join(root, "bin/gatehouse.mjs"), ...args], { env: env() });

async function start(): Promise<string> {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], { cwd: root, env: env() as NodeJS.ProcessEnv });
  supervisor = child;
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const deadline = Date.now() + 60_000;
  while (!out.includes("Gatehouse is running")) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`npm start did not come up:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return out;
}

async function stop(): Promise<number | null> {
  const s = supervisor!;
  const exited = new Promise<number | null>((r) => s.once("exit", (code) => r(code)));
  s.kill("SIGTERM");
  return exited;
}

afterAll(async () => {
  if (supervisor && supervisor.exitCode === null) await stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("[START][EMBEDDED] npm start on a fresh machine", () => {
  it("serves the gateway on the embedded database, keeps data across restarts and stops cleanly", async () => {
    gwPort = await freePort();
    const banner = await start();
    expect(banner).toContain(`postgres   127.0.0.1:${gwPort}`);
    expect(banner).toContain("npx gatehouse connections add");

    const pg = inject("pg");
    expect((await cli("connections", "add", "embedded-target", "--type", "postgres", "--url", `postgres://app:secret@127.0.0.1:${pg.port}/shop?sslmode=disable`)).code).toBe(0);
    expect((await cli("grant", "analysts", "embedded-target")).code).toBe(0);
    const key = (await cli("keys", "issue", "agent-e", "--groups", "analysts")).stdout.trim();
    const psql = await run("psql", [`host=127.0.0.1 port=${gwPort} dbname=embedded-target user=agent-e sslmode=require`, "-X", "-qAtc", "select 40 + 2"], { env: { PGPASSWORD: key } });
    expect(psql.stderr).toBe("");
    expect(psql.stdout.trim()).toBe("42");
    await new Promise((r) => setTimeout(r, 500)); // the audit writer flushes every 100 ms
    const audit = await cli("audit", "list", "--json");
    expect(audit.stdout).toContain('"statement":"select 40 + 2"');

    expect(await stop()).toBe(0);
    const offline = await cli("connections", "list");
    expect(offline.code).toBe(1);
    expect(offline.stderr).toContain("is not running: start Gatehouse with `npm start` first");

    await start();
    const list = await cli("connections", "list", "--json");
    expect(list.stdout).toContain('"name":"embedded-target"');
    const again = await run("psql", [`host=127.0.0.1 port=${gwPort} dbname=embedded-target user=agent-e sslmode=disable`, "-X", "-qAtc", "select 'kept'"], { env: { PGPASSWORD: key } });
    expect(again.stdout.trim()).toBe("kept");
  }, 180_000);
});
