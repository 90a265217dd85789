import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { rmSync } from "node:fs";
import { Client as Ssh2Client } from "ssh2";
import path from "node:path";
import pg from "pg";
import { startSshServer, sshClient, type SshServer } from "../support/ssh-server";
import { run } from "../support/run-program";
import { gatehouse, gatewayProcessEnv, sessionEndCounts, startGatewayProcess, type GatewayProcess } from "./gateway-process";

// The SSH side of the kill test: `ssh host cmd` in a loop through a gateway killed with SIGKILL;
// after a restart of the same instance, every command whose output and exit status 0 reached its
// client has its `command` event exactly once, and every session has one session.end.
const ROUNDS = 2;
const WORKERS = 4;
// Long enough for a few dozen commands a round (each a fresh ssh process and session), so the kill lands among some in flight.
const LOAD_MS = 4000;
const EXIT_ROUNDS = 3;
const CHANNELS = 8;

const pgServer = inject("pg");
let dataDir = "";
let sshd: SshServer;
let env: Record<string, string>;
let gw: GatewayProcess | undefined;
let client: ReturnType<typeof sshClient>;

beforeAll(async () => {
  sshd = await startSshServer();
  ({ env, dataDir } = await gatewayProcessEnv(pgServer, { instance: "ssh-crashy", listen: ["pg", "ssh"] }));
  gw = await startGatewayProcess(env);
  const ok = async (...args: string[]) => {
    const r = await gatehouse(env, ...args);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.trim();
  };
  await ok(
    "connections",
    "add",
    "box",
    "--type",
    "ssh",
    "--host",
    "127.0.0.1",
    "--port",
    String(sshd.port),
    "--user",
    sshd.user,
    "--private-key-file",
    sshd.clientKeyFile,
    "--host-key",
    sshd.hostKeyFingerprint,
    "--recording",
    "off",
  );
  await ok("grant", "ops", "box");
  client = sshClient(dataDir, Number(env.GATEHOUSE_SSH_PORT), await ok("keys", "issue", "runner", "--groups", "ops"));
});
afterAll(async () => {
  await gw?.stop();
  await sshd?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** Commands in a loop; after LOAD_MS, the gateway is killed the moment a client has its answer (its event is then at most just journaled, not stored). */
async function loadUntilKilled(round: number): Promise<string[]> {
  const acked: string[] = [];
  const deadline = Date.now() + LOAD_MS;
  let killing: Promise<void> | undefined;
  const workers = Array.from({ length: WORKERS }, async (_, w) => {
    for (let i = 0; !killing; i++) {
      const tag = `r${round}-w${w}-${i}`;
      const r = await run("ssh", [...client.opts, "box@127.0.0.1", `echo ${tag}`], { env: client.env, timeoutMs: 30_000 });
      if (r.code !== 0 || r.stdout.trim() !== tag) continue;
      acked.push(tag);
      if (Date.now() > deadline) killing ??= gw!.kill9();
    }
  });
  await Promise.all(workers);
  await killing;
  return acked;
}

describe("[AUDIT][JOURNAL][SSH] a gateway killed under ssh commands loses no acknowledged command's event", () => {
  it(`kill -9 under an ssh host cmd loop, ${ROUNDS} times, then restart the same instance`, async () => {
    const acked: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const got = await loadUntilKilled(round);
      expect(got.length, "the load ran").toBeGreaterThan(0);
      acked.push(...got);
      gw = await startGatewayProcess(env);
    }
    const db = new pg.Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    try {
      const { rows } = await db.query<{ statement: string; n: number }>("select statement, count(*)::int as n from audit_events where action = 'command' group by statement");
      const count = new Map(rows.map((r) => [r.statement, r.n]));
      console.log(`[audit journal, ssh] ${acked.length} acknowledged commands over ${ROUNDS} kills`);
      const missing = acked.filter((tag) => count.get(`echo ${tag}`) !== 1);
      expect(missing, `of ${acked.length} acknowledged commands, these have no event (or more than one)`).toEqual([]);
      const ends = await sessionEndCounts(db, "ssh-crashy", "ssh");
      expect(ends.length).toBeGreaterThan(0);
      expect(ends.filter((r) => r.ends !== 1)).toEqual([]);
    } finally {
      await db.end();
    }
  }, 240_000);

  it(`killed the instant a client sees exit statuses (${CHANNELS} commands ending at once, ${EXIT_ROUNDS} times): every one of them has its event after the restart`, async () => {
    const seen: string[] = [];
    const token = await gatehouse(env, "keys", "issue", "exits", "--groups", "ops");
    expect(token.code, token.stderr).toBe(0);
    const fifo = path.join(dataDir, "release");
    expect((await run("mkfifo", [fifo])).code).toBe(0);
    for (let round = 0; round < EXIT_ROUNDS; round++) {
      const conn = new Ssh2Client();
      const gone = new Promise<void>((resolve) => conn.once("close", () => resolve()));
      conn.on("error", () => {});
      await new Promise<void>((resolve, reject) => {
        conn.once("ready", resolve).once("error", reject);
        conn.connect({ host: "127.0.0.1", port: Number(env.GATEHOUSE_SSH_PORT), username: "box", password: token.stdout.trim() });
      });
      let killed = false;
      const closed: Promise<unknown>[] = [];
      // Every command waits on one FIFO and ends when it is opened and closed for writing: the target
      // reports their exits together, so the gateway sends all the exit statuses in one go, and the
      // test kills it (synchronously, in the handler) the moment the first one reaches this client.
      const started = Array.from(
        { length: CHANNELS },
        (_, c) =>
          new Promise<void>((resolve, reject) => {
            const tag = `x${round}-${c}`;
            conn.exec(`cat ${fifo} > /dev/null; echo ${tag}`, (err, ch) => {
              if (err) return reject(err);
              ch.on("data", () => {});
              ch.stderr.on("data", () => {});
              closed.push(new Promise((done) => ch.once("close", done)));
              ch.on("exit", (code: number | null) => {
                if (code !== 0) return;
                seen.push(tag);
                if (!killed) gw!.proc.kill("SIGKILL");
                killed = true;
              });
              resolve();
            });
          }),
      );
      await Promise.all(started);
      // Every `cat` has opened the FIFO once the target has run them all (they are started by now; give them a moment).
      await new Promise((r) => setTimeout(r, 1000));
      await run("sh", ["-c", `: > ${fifo}`], { timeoutMs: 10_000 });
      await Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, 10_000))]);
      await gw!.kill9();
      await gone;
      gw = await startGatewayProcess(env);
    }
    expect(seen.length, "exit statuses reached the client before the kill").toBeGreaterThan(0);
    const db = new pg.Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    try {
      const { rows } = await db.query<{ statement: string; n: number }>(
        "select statement, count(*)::int as n from audit_events where action = 'command' and identity_name = 'exits' group by statement",
      );
      const count = new Map(rows.map((r) => [r.statement, r.n]));
      console.log(`[audit journal, ssh exit status] ${seen.length} exit statuses seen over ${EXIT_ROUNDS} kills`);
      const missing = seen.filter((tag) => count.get(`cat ${fifo} > /dev/null; echo ${tag}`) !== 1);
      expect(missing, `of ${seen.length} commands whose exit status the client saw, these have no event (or more than one)`).toEqual([]);
    } finally {
      await db.end();
    }
  }, 120_000);
});
