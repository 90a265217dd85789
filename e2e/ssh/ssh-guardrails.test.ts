import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Client as Ssh2Client } from "ssh2";
import { eq } from "drizzle-orm";
import { openDb, type DbHandle } from "../../drizzle/client";
import { reviews, sessions as sessionRows } from "../../drizzle/schema/index";
import { decideReview } from "../../core/reviews/decide-review";
import { pendingReview } from "../support/pending-review";
import { startTestGateway, run, type TestGateway } from "../support/gateway-harness";
import { startSshServer, sshClient, type SshServer } from "../support/ssh-server";

let gw: TestGateway;
let sshd: SshServer;
let db: DbHandle;
let client: ReturnType<typeof sshClient>;
let key: string;

const ssh = (args: string[], opts: { input?: string; token?: string; onStdout?: (soFar: string) => void } = {}) => {
  const c = opts.token !== undefined ? sshClient(sshd.dir, gw.gw.ports.ssh, opts.token) : client;
  return run("ssh", [...c.opts, ...args], { env: c.env, input: opts.input, timeoutMs: 30_000, onStdout: opts.onStdout });
};
const auditJson = async () =>
  (await gw.cli("audit", "list", "--json")).stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

beforeAll(async () => {
  sshd = await startSshServer();
  gw = await startTestGateway({ GATEHOUSE_CONSOLE_URL: "https://gatehouse.example" });
  db = openDb(gw.env.DATABASE_URL, { max: 2 });
  const add = await gw.cli("connections", "add", "ssh-prod", "--type", "ssh", "--host", "127.0.0.1", "--port", String(sshd.port), "--user", sshd.user, "--private-key-file", sshd.clientKeyFile);
  if (add.code !== 0) throw new Error(add.stderr);
  await gw.cli("grant", "ops", "ssh-prod");
  key = (await gw.cli("keys", "issue", "agent-ops", "--groups", "ops")).stdout.trim();
  client = sshClient(sshd.dir, gw.gw.ports.ssh, key);
  const policy = path.join(sshd.dir, "policy.json");
  writeFileSync(
    policy,
    JSON.stringify({
      rules: [
        { name: "no-rm", action: "deny", match: { kinds: ["rm", "shutdown"] } },
        { name: "no-file-copies", action: "deny", match: { kinds: ["sftp", "scp"] } },
        { name: "hold-kubectl-delete", action: "review", match: { kinds: ["kubectl delete", "touch"] }, approvers: ["dba"] },
      ],
    }),
  );
  const applied = await gw.cli("policies", "apply", "ssh-prod", "-f", policy);
  if (applied.code !== 0) throw new Error(applied.stderr);
  await new Promise((r) => setTimeout(r, 1000));
}, 60_000);
afterAll(async () => {
  await db?.close();
  await gw?.close();
  await sshd?.stop();
});

describe("[SSH][GUARDRAILS] the shared policy engine on commands", () => {
  it("denies `ssh host rm ...` with a message on stderr and a non-zero exit; nothing runs", async () => {
    const victim = path.join(sshd.dir, "keep-me");
    writeFileSync(victim, "x");
    const r = await ssh(["ssh-prod@127.0.0.1", `sudo rm -f ${victim}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Gatehouse denied this command: rule "no-rm" matches this command');
    expect(existsSync(victim)).toBe(true);
    const e = (await auditJson()).find((x) => x.action === "command" && x.outcome === "denied");
    expect(e).toMatchObject({ statementKind: `RM ${victim.toUpperCase()}`, identityName: "agent-ops" });
  });

  it("denies `ssh host cmd` however bash is asked to run rm (one command in sh -c, eval, find -exec, a brace list, a variable); nothing runs", async () => {
    const victim = path.join(sshd.dir, "keep-me-too");
    writeFileSync(victim, "x");
    for (const cmd of [`sh -c 'rm -f ${victim}'`, `eval rm -f ${victim}`, `find ${victim} -exec rm -f {} +`, `{rm,-f,${victim}}`, `c=rm; $c -f ${victim}`, `if true; then rm -f ${victim}; fi`]) {
      const r = await ssh(["ssh-prod@127.0.0.1", cmd]);
      expect(r.stderr, cmd).toContain('Gatehouse denied this command: rule "no-rm" matches this command');
      expect(existsSync(victim), cmd).toBe(true);
    }
  });

  it("passes only the locale and time zone to the target under guardrails: an exported bash function would run in place of the judged command", async () => {
    const marker = path.join(sshd.dir, "bash-func-ran");
    // `echo` is judged; bash on the target imports BASH_FUNC_echo%% and runs it instead.
    const r = await run("ssh", [...client.opts, "-o", "SendEnv=BASH_FUNC_* LC_GATEHOUSE_PROBE", "ssh-prod@127.0.0.1", "echo probe-$LC_GATEHOUSE_PROBE"], {
      env: { ...client.env, "BASH_FUNC_echo%%": `() { touch ${marker}; }`, LC_GATEHOUSE_PROBE: "kept" },
      timeoutMs: 30_000,
    });
    expect(r.stdout).toBe("probe-kept\n");
    expect(existsSync(marker)).toBe(false);
    const refused = (await auditJson()).find((x) => x.action === "ssh.env.refused");
    expect(refused).toMatchObject({ outcome: "denied", message: "environment variable BASH_FUNC_echo%% is not passed on a connection with guardrails" });
  });

  it("holds a command for approval, tells the client where, and runs it once approved", async () => {
    const made = path.join(sshd.dir, "approved-file");
    const running = ssh(["ssh-prod@127.0.0.1", `touch ${made} && echo made`]);
    const review = await pendingReview(db.db, "touch");
    expect(existsSync(made)).toBe(false);
    await decideReview(db.db, { reviewId: review.id, decision: "approve", decider: { email: "dana@example.com", groups: ["dba"] } });
    const r = await running;
    expect(r.stderr).toContain(`Gatehouse is holding this command for approval: https://gatehouse.example/reviews/${review.id}`);
    expect(r.stdout).toBe("made\n");
    expect(r.code).toBe(0);
    expect(existsSync(made)).toBe(true);
  });

  it("a rejected command is refused with the approver's reason and exit status 1", async () => {
    const running = ssh(["ssh-prod@127.0.0.1", "kubectl -n prod delete pod web-1"]);
    const review = await pendingReview(db.db, "kubectl");
    await decideReview(db.db, { reviewId: review.id, decision: "reject", reason: "not in prod", decider: { email: "dana@example.com", groups: ["dba"] } });
    const r = await running;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Gatehouse did not run this command: rejected by dana@example.com: not in prod");
  });

  it("a held command is withdrawn by a signal on its channel (cancelled by the client), or when Ctrl-C ends ssh; nothing runs", async () => {
    const made = path.join(sshd.dir, "withdrawn-file");
    // ssh2 sends a signal request on the exec channel, as a client that forwards Ctrl-C does.
    const conn = new Ssh2Client();
    await new Promise<void>((resolve, reject) => conn.once("ready", resolve).once("error", reject).connect({ host: "127.0.0.1", port: gw.gw.ports.ssh, username: "ssh-prod", password: key }));
    try {
      const ended = new Promise<{ stderr: string; code: number | null }>((resolve, reject) =>
        conn.exec(`touch ${made}`, (err, ch) => {
          if (err) return reject(err);
          let stderr = "";
          let code: number | null = null;
          ch.stderr.on("data", (d: Buffer) => (stderr += d));
          ch.on("exit", (c: number | null) => (code = c));
          ch.on("data", () => {});
          ch.on("close", () => resolve({ stderr, code }));
          void pendingReview(db.db, `touch ${made}`).then(() => ch.signal("INT"), reject);
        }),
      );
      const r = await ended;
      expect(r.stderr).toContain("Gatehouse did not run this command: cancelled by the client");
      expect(r.code).toBe(1);
      const [withdrawn] = await db.db
        .select()
        .from(reviews)
        .where(eq(reviews.statement, `touch ${made}`));
      expect(withdrawn).toMatchObject({ status: "cancelled", decisionReason: "cancelled by the client" });
    } finally {
      conn.end();
    }
    // OpenSSH without a terminal: Ctrl-C ends ssh itself, and the closed channel cancels the review.
    const child = spawn("ssh", [...client.opts, "ssh-prod@127.0.0.1", `touch ${made}-2`], { env: { ...process.env, ...client.env }, stdio: ["pipe", "pipe", "pipe"] });
    const review = await pendingReview(db.db, `touch ${made}-2`);
    child.kill("SIGINT");
    await new Promise((r) => child.once("close", r));
    await expect
      .poll(async () => (await db.db.select().from(reviews).where(eq(reviews.id, review.id)))[0], { timeout: 5_000 })
      .toMatchObject({ status: "cancelled", decisionReason: "the client disconnected" });
    expect(existsSync(made) || existsSync(`${made}-2`)).toBe(false);
  });

  it("in a shell without a terminal (ssh -T < script), a denied line never reaches the shell, however it is dressed; the next runs", async () => {
    const victims = ["plain", "erased", "last"].map((n) => path.join(sshd.dir, `no-pty-${n}`));
    for (const v of victims) writeFileSync(v, "x");
    // No line editor reads this input: a backspace is a character, and the last line runs at the end of input.
    const script = `rm -f ${victims[0]} /nonexistent\nrm -f ${victims[1]} ${"\x7f".repeat(60)}echo harmless\necho next-$((40+2))\nrm -f ${victims[2]} /nonexistent`;
    const r = await ssh(["-T", "ssh-prod@127.0.0.1"], { input: script });
    expect(r.stdout).toBe("next-42\n");
    expect(r.stderr.match(/gatehouse: Gatehouse denied this command: rule "no-rm"/g)).toHaveLength(3);
    expect(victims.filter((v) => !existsSync(v))).toEqual([]);
  });

  it("in a shell with a terminal (ssh -tt), Ctrl-C on a held line withdraws the review and the shell goes on; Ctrl-D withdraws and ends it", async () => {
    const made = path.join(sshd.dir, "held-line");
    const child = spawn("ssh", [...client.opts, "-tt", "ssh-prod@127.0.0.1"], { env: { ...process.env, ...client.env }, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
    const reviewOf = async (id: string) => (await db.db.select().from(reviews).where(eq(reviews.id, id)))[0];
    try {
      child.stdin.write(`touch ${made}\r`);
      const first = await pendingReview(db.db, `touch ${made}`);
      child.stdin.write("\x03");
      await expect.poll(() => out, { timeout: 10_000 }).toContain("Gatehouse did not run this command: cancelled by the client");
      await expect.poll(() => reviewOf(first.id), { timeout: 5_000 }).toMatchObject({ status: "cancelled", decisionReason: "cancelled by the client" });
      // A fresh prompt, usable: the next line runs.
      child.stdin.write("echo after-$((20+22))\r");
      await expect.poll(() => out, { timeout: 10_000 }).toContain("after-42");

      child.stdin.write(`touch ${made}-2\r`);
      const second = await pendingReview(db.db, `touch ${made}-2`);
      child.stdin.write("\x04");
      expect(await exited).toBe(0);
      await expect.poll(() => reviewOf(second.id), { timeout: 5_000 }).toMatchObject({ status: "cancelled", decisionReason: "cancelled by the client" });
    } finally {
      child.kill();
    }
    expect(existsSync(made) || existsSync(`${made}-2`)).toBe(false);
    const denied = (await auditJson()).filter((e) => e.action === "command" && e.outcome === "denied" && String(e.statement).startsWith(`touch ${made}`));
    expect(denied.map((e) => e.message)).toEqual(["Gatehouse did not run this command: cancelled by the client", "Gatehouse did not run this command: cancelled by the client"]);
  });

  it("denies file transfers (sftp, and scp over sftp) when a rule names them", async () => {
    const local = path.join(sshd.dir, "not-copied.txt");
    writeFileSync(local, "x");
    const r = await run("scp", [...client.scpOpts, local, `ssh-prod@127.0.0.1:${local}.copy`], { env: client.env, timeoutMs: 30_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Gatehouse denied this command: rule "no-file-copies" matches this command');
    expect(existsSync(`${local}.copy`)).toBe(false);
    expect((await auditJson()).some((e) => e.action === "command" && e.statement === "sftp" && e.outcome === "denied")).toBe(true);
  });

  it("judges lines typed in an interactive shell (best effort): a denied line is cleared, the shell goes on", async () => {
    const victim = path.join(sshd.dir, "keep-me-too");
    writeFileSync(victim, "x");
    const r = await ssh(["-tt", "ssh-prod@127.0.0.1"], { input: `rm -f ${victim}\necho still-$((1+1))\nexit\n` });
    expect(r.stdout).toContain('Gatehouse denied this command: rule "no-rm"');
    expect(r.stdout).toContain("still-2");
    expect(existsSync(victim)).toBe(true);
  });
});

describe("[SSH][FAULTS] bad input gets a clear message; other sessions go on", () => {
  it("a wrong token is refused at authentication", async () => {
    const r = await ssh(["ssh-prod@127.0.0.1", "true"], { token: "gh_wrong" });
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/Permission denied/);
    expect((await auditJson()).some((e) => e.action === "session.denied" && e.connectionName === "ssh-prod")).toBe(true);
  });

  it("an unknown or forbidden connection says so on stderr", async () => {
    const r = await ssh(["no-such-conn@127.0.0.1", "true"]);
    expect(r.code).toBe(255);
    expect(r.stderr).toContain('connection "no-such-conn" does not exist, is not an SSH connection, or you are not allowed to use it');
  });

  it("a target that is down, or whose host key changed, is refused with the reason", async () => {
    await gw.cli("connections", "add", "ssh-down", "--type", "ssh", "--host", "127.0.0.1", "--port", "1", "--user", "x", "--private-key-file", sshd.clientKeyFile);
    await gw.cli(
      "connections",
      "add",
      "ssh-spoofed",
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
      `SHA256:${"A".repeat(43)}`,
    );
    await gw.cli("grant", "ops", "ssh-down");
    await gw.cli("grant", "ops", "ssh-spoofed");
    const down = await ssh(["ssh-down@127.0.0.1", "true"]);
    expect(down.code).toBe(255);
    expect(down.stderr).toContain("gatehouse: cannot reach 127.0.0.1:1");
    const spoofed = await ssh(["ssh-spoofed@127.0.0.1", "true"]);
    expect(spoofed.code).toBe(255);
    expect(spoofed.stderr).toContain(`the host key of 127.0.0.1:${sshd.port} changed (pinned SHA256:${"A".repeat(43)}, offered ${sshd.hostKeyFingerprint})`);
  });

  it("a client that vanishes mid-command ends its session with the recording kept; a kill ends another with a message", async () => {
    const vanishing = spawn("ssh", [...client.opts, "-tt", "ssh-prod@127.0.0.1", "echo before-vanish; sleep 30"], { env: { ...process.env, ...client.env }, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    vanishing.stdout.on("data", (d) => (out += d));
    await expect.poll(() => out, { timeout: 10_000 }).toContain("before-vanish");
    vanishing.kill("SIGKILL");
    // Read from the database directly: a CLI process per poll costs seconds on a loaded machine.
    const sessions = () => gw.gw.deps.db.select({ id: sessionRows.id, status: sessionRows.status }).from(sessionRows);
    await expect.poll(async () => (await sessions()).filter((s) => s.status === "active").length, { timeout: 10_000 }).toBe(0);
    const casts = await Promise.all((await sessions()).map((s) => gw.cli("sessions", "export", s.id)));
    expect(casts.some((c) => c.stdout.includes("before-vanish"))).toBe(true);

    // Still serving others; an admin kill reaches the client's terminal.
    let running: () => void = () => {};
    const started = new Promise<void>((resolve) => (running = resolve));
    const killed = ssh(["ssh-prod@127.0.0.1", "echo started; sleep 30"], { onStdout: (o) => o.includes("started") && running() });
    await started;
    const live = (await sessions()).find((s) => s.status === "active")!;
    await gw.cli("sessions", "kill", live.id);
    const r = await killed;
    expect(r.stdout).toContain("started");
    expect(r.stderr).toContain("gatehouse: session ended: an administrator ended this session");
    expect(r.code).toBe(255);
  });
});
