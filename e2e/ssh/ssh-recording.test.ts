import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import { openDb, type DbHandle } from "../../drizzle/client";
import { recordingChunks, recordings, sessions } from "../../drizzle/schema/index";
import { deleteOldRecordings } from "../../core/recordings/retention";
import { startTestGateway, run, type TestGateway } from "../support/gateway-harness";
import { startSshServer, sshClient, type SshServer } from "../support/ssh-server";

let gw: TestGateway;
let sshd: SshServer;
let db: DbHandle;
let client: ReturnType<typeof sshClient>;
const CARD = "4111 1111 1111 1111";

const ssh = (args: string[]) => run("ssh", [...client.opts, ...args], { env: client.env, timeoutMs: 30_000 });
const latestSession = async (connection: string) =>
  (
    await db.db
      .select()
      .from(sessions)
      .where(eq(sessions.connectionName, connection))
      .orderBy(sql`started_at desc`)
      .limit(1)
  )[0];
const castOf = async (id: string) => (await gw.cli("sessions", "export", id, "--format", "asciicast")).stdout;

beforeAll(async () => {
  sshd = await startSshServer();
  gw = await startTestGateway();
  db = openDb(gw.env.DATABASE_URL, { max: 2 });
  for (const [name, extra] of [
    ["ssh-rec", []],
    ["ssh-norec", ["--recording", "off"]],
  ] as const) {
    const add = await gw.cli("connections", "add", name, "--type", "ssh", "--host", "127.0.0.1", "--port", String(sshd.port), "--user", sshd.user, "--private-key-file", sshd.clientKeyFile, ...extra);
    if (add.code !== 0) throw new Error(add.stderr);
    await gw.cli("grant", "ops", name);
  }
  const rules = path.join(sshd.dir, "masking.json");
  writeFileSync(rules, JSON.stringify({ detectors: { style: "redact" } }));
  const applied = await gw.cli("masking", "apply", "ssh-rec", "-f", rules);
  if (applied.code !== 0) throw new Error(applied.stderr);
  client = sshClient(sshd.dir, gw.gw.ports.ssh, (await gw.cli("keys", "issue", "agent-rec", "--groups", "ops")).stdout.trim());
}, 60_000);
afterAll(async () => {
  await db?.close();
  await gw?.close();
  await sshd?.stop();
});

describe("[SSH][RECORDING] terminal recordings", () => {
  it("masks command output for the client and in the recording, and the audit holds the masked command", async () => {
    const r = await ssh(["-tt", "ssh-rec@127.0.0.1", `echo "paid with ${CARD}"`]);
    // The client's output and what is stored are both masked with the connection's detectors.
    expect(r.stdout).toContain("paid with [REDACTED:payment-card]");
    expect(r.stdout).not.toContain(CARD);
    const s = await latestSession("ssh-rec");
    // The recording's last chunk is stored as the session closes, which may be just after the client has exited.
    await expect.poll(async () => (await db.db.select().from(recordings).where(eq(recordings.sessionId, s.id)))[0]?.endedAt, { timeout: 10_000 }).toBeInstanceOf(Date);
    const cast = await castOf(s.id);
    expect(cast).toContain("paid with [REDACTED:payment-card]");
    expect(cast).not.toContain(CARD);
    const audit = (await gw.cli("audit", "list", "--json", "--session", s.id)).stdout;
    expect(audit).toContain('"action":"command"');
    expect(audit.split("\n").filter((l) => l.includes(CARD))).toEqual([]);
  });

  it("passes a file transfer's protocol unmasked (rsync and legacy scp, both ways), and masks whatever else a command line runs beside one", async () => {
    // A name with a space: rsync escapes it with a backslash in the command it runs on the target.
    const file = path.join(sshd.dir, "card file.bin");
    const data = Buffer.concat([randomBytes(100_000), Buffer.from(`\npaid with ${CARD}\n`), randomBytes(1000)]);
    writeFileSync(file, data);
    const rsh = `ssh ${client.opts.map((o) => `'${o}'`).join(" ")}`;
    const scp = ["scp", "-O", ...client.scpOpts];
    const copies: Array<[string, (to: string) => string[]]> = [
      ["rsync-down", (to) => ["rsync", "-e", rsh, `ssh-rec@127.0.0.1:${file}`, to]],
      ["rsync-up", (to) => ["rsync", "-e", rsh, file, `ssh-rec@127.0.0.1:${to}`]],
      // Legacy scp hands the remote name to the target's shell, which needs the space escaped (as directly).
      ["scp-down", (to) => [...scp, `ssh-rec@127.0.0.1:${file.replaceAll(" ", "\\ ")}`, to]],
      ["scp-up", (to) => [...scp, file, `ssh-rec@127.0.0.1:${to}`]],
    ];
    for (const [name, command] of copies) {
      const to = path.join(sshd.dir, `${name}.bin`);
      const [program, ...args] = command(to);
      const r = await run(program, args, { env: client.env, timeoutMs: 30_000 });
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      expect(createHash("sha256").update(readFileSync(to)).digest("hex"), name).toBe(createHash("sha256").update(data).digest("hex"));
    }
    // A file transfer's name in front of another command does not unmask that command's output.
    writeFileSync(path.join(sshd.dir, "card.txt"), `paid with ${CARD}\n`);
    for (const line of ["scp -f /nonexistent 2>/dev/null; cat card.txt", "rsync --server . /nonexistent </dev/null >/dev/null 2>&1 || cat card.txt"]) {
      const r = await ssh(["ssh-rec@127.0.0.1", `cd ${sshd.dir} && ${line}`]);
      expect(r.stdout, line).toBe("paid with [REDACTED:payment-card]\n");
    }
  });

  it("delivers a masked command's large standard error whole, before its exit status", async () => {
    // 4 MB of stderr outruns the channel's window, so it is still queued (in the target channel's
    // stderr and in the client's) when the target closes the channel: it must all reach the client.
    const line = "0123456789abcdefghijklmnopqrstuvwxyz\n";
    const r = await ssh(["ssh-rec@127.0.0.1", `yes ${line.trim()} | head -c 4000000 >&2; echo "done ${CARD}" >&2; exit 3`]);
    expect(r.code).toBe(3);
    expect(r.stderr.length).toBe(4_000_000 + "done [REDACTED:payment-card]\n".length);
    expect(r.stderr.slice(0, 2 * line.length)).toBe(line.repeat(2));
    expect(r.stderr.endsWith("done [REDACTED:payment-card]\n")).toBe(true);
    // The output stream likewise.
    const out = await ssh(["ssh-rec@127.0.0.1", `yes ${line.trim()} | head -c 4000000; echo "done ${CARD}"`]);
    expect(out.stdout.length).toBe(4_000_000 + "done [REDACTED:payment-card]\n".length);
  });

  it("writes chunks while the session runs (at most a second behind), not only at the end", async () => {
    const child = spawn("ssh", [...client.opts, "-tt", "ssh-rec@127.0.0.1", "echo early-output; sleep 6; echo late-output"], {
      env: { ...process.env, ...client.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const done = new Promise((r) => child.once("exit", r));
    await expect
      .poll(
        async () => {
          const s = await latestSession("ssh-rec");
          if (!s || s.status !== "active") return "";
          const chunks = await db.db.select({ data: recordingChunks.data }).from(recordingChunks).where(eq(recordingChunks.sessionId, s.id));
          return chunks.map((c) => c.data).join("\n");
        },
        { timeout: 4000, interval: 250 },
      )
      .toContain("early-output");
    await done;
    const s = await latestSession("ssh-rec");
    await expect.poll(async () => (await db.db.select().from(recordings).where(eq(recordings.sessionId, s.id)))[0]?.endedAt, { timeout: 5000 }).toBeInstanceOf(Date);
    expect(await castOf(s.id)).toContain("late-output");
  });

  it("judges a line typed at a password prompt but keeps its text out of the audit and the recording", async () => {
    const SECRET = `hunter2-${randomBytes(4).toString("hex")}`;
    const child = spawn("ssh", [...client.opts, "-tt", "ssh-rec@127.0.0.1"], { env: { ...process.env, ...client.env }, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const done = new Promise((r) => child.once("exit", r));
    const seen = (text: string) => expect.poll(() => out, { timeout: 15_000 }).toContain(text);
    // A real prompt with echo off, as sudo's: bash's read -s.
    child.stdin.write(`bash -c 'read -s -p "Password: " pw; echo; echo "got-\${#pw}"'\r`);
    // The prompt itself, at the end of the output (the echoed command line holds the same words).
    await expect.poll(() => out, { timeout: 15_000 }).toMatch(/[\r\n]Password: $/);
    child.stdin.write(`${SECRET}\r`);
    await seen(`got-${SECRET.length}`);
    child.stdin.write("echo after-$((40+2))\r");
    await seen("after-42");
    child.stdin.write("exit\r");
    await done;
    const s = await latestSession("ssh-rec");
    await gw.gw.deps.audit.flush();
    const { rows } = await db.pool.query<{ statement: string | null; statement_kind: string | null; message: string | null; details: unknown }>(
      "select statement, statement_kind, message, details from audit_events where session_id = $1 and action = 'command' order by seq",
      [s.id],
    );
    expect(rows.map((r) => [r.statement, r.message])).toEqual([
      [`bash -c 'read -s -p "Password: " pw; echo; echo "got-\${#pw}"'`, null],
      [null, "typed at a password prompt: not stored"],
      ["echo after-$((40+2))", null],
      ["exit", null],
    ]);
    expect(JSON.stringify(rows)).not.toContain(SECRET);
    await expect.poll(async () => (await db.db.select().from(recordings).where(eq(recordings.sessionId, s.id)))[0]?.endedAt, { timeout: 5000 }).toBeInstanceOf(Date);
    const cast = await castOf(s.id);
    expect(cast).toContain("after-42");
    expect(cast).not.toContain(SECRET);
  });

  it("can be turned off per connection", async () => {
    const r = await ssh(["-tt", "ssh-norec@127.0.0.1", "echo not-recorded"]);
    expect(r.stdout).toContain("not-recorded");
    const s = await latestSession("ssh-norec");
    expect(await db.db.select().from(recordings).where(eq(recordings.sessionId, s.id))).toEqual([]);
  });

  it("deletes recordings past the retention period", async () => {
    const s = await latestSession("ssh-rec");
    await db.db
      .update(recordings)
      .set({ startedAt: sql`now() - interval '100 days'` })
      .where(eq(recordings.sessionId, s.id));
    expect(await deleteOldRecordings(db.db, 90)).toBe(1);
    expect(await db.db.select().from(recordingChunks).where(eq(recordingChunks.sessionId, s.id))).toEqual([]);
    expect((await db.db.select().from(recordings)).length).toBeGreaterThan(0);
  });
});
