import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Client as Ssh2Client } from "ssh2";
import { startTestGateway, run, type TestGateway } from "../support/gateway-harness";
import { startSshServer, sshClient, type SshServer } from "../support/ssh-server";
import { startCuttableRelay } from "../support/cuttable-relay";

let gw: TestGateway;
let sshd: SshServer;
let key: string;
let client: ReturnType<typeof sshClient>;

const ssh = (args: string[], opts: { input?: string; token?: string; timeoutMs?: number } = {}) => {
  const c = opts.token ? sshClient(sshd.dir, gw.gw.ports.ssh, opts.token) : client;
  return run("ssh", [...c.opts, ...args], { env: c.env, input: opts.input, timeoutMs: opts.timeoutMs ?? 30_000 });
};
const auditJson = async () =>
  (await gw.cli("audit", "list", "--json")).stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

beforeAll(async () => {
  sshd = await startSshServer();
  gw = await startTestGateway();
  const add = await gw.cli("connections", "add", "ssh-prod", "--type", "ssh", "--host", "127.0.0.1", "--port", String(sshd.port), "--user", sshd.user, "--private-key-file", sshd.clientKeyFile);
  expect(add.stderr).toBe("");
  await gw.cli("grant", "ops", "ssh-prod");
  key = (await gw.cli("keys", "issue", "agent-ssh", "--groups", "ops")).stdout.trim();
  client = sshClient(sshd.dir, gw.gw.ports.ssh, key);
}, 60_000);
afterAll(async () => {
  await gw?.close();
  await sshd?.stop();
});

describe("[SSH] OpenSSH clients through the gateway", () => {
  it("runs a command with stdout, stderr and the real exit status, and pins the target's host key", async () => {
    const r = await ssh(["ssh-prod@127.0.0.1", "echo out-$((40+2)); echo err-line >&2; exit 3"]);
    expect(r.stdout).toBe("out-42\n");
    expect(r.stderr).toContain("err-line");
    expect(r.code).toBe(3);
    const conns = (await gw.cli("connections", "list", "--json")).stdout;
    expect(conns).toContain(sshd.hostKeyFingerprint);
    const events = await auditJson();
    expect(events.find((e) => e.action === "ssh.hostkey.pinned")?.message).toContain(sshd.hostKeyFingerprint);
    expect(events.find((e) => e.action === "command" && e.statement?.startsWith("echo out"))).toMatchObject({ outcome: "error", message: "exit status 3", identityName: "agent-ssh" });
  });

  it("signs in automation that answers a 'Password:' prompt (sshpass), by keyboard-interactive and by password", async () => {
    for (const method of ["keyboard-interactive", "password"]) {
      const opts = client.opts.map((o) => (o.startsWith("PreferredAuthentications=") ? `PreferredAuthentications=${method}` : o));
      // sshpass runs ssh on a terminal of its own and types SSHPASS when it sees "assword"; no SSH_ASKPASS here.
      const r = await run("sshpass", ["-e", "ssh", ...opts, "ssh-prod@127.0.0.1", "echo via-sshpass"], { env: { SSHPASS: key, SSH_ASKPASS: "", DISPLAY: "" }, timeoutMs: 30_000 });
      expect(r.stdout.trim(), `${method}: ${r.stderr}`).toBe("via-sshpass");
      expect(r.code).toBe(0);
    }
  });

  it("passes stdin through and closes it (EOF reaches the target)", async () => {
    const r = await ssh(["ssh-prod@127.0.0.1", "wc -c"], { input: "x".repeat(100_000) });
    expect(r.stdout.trim(), r.stderr + r.code).toBe("100000");
    expect(r.code).toBe(0);
  });

  it("gives an interactive shell a terminal, and records it as asciicast v2", async () => {
    const r = await ssh(["-tt", "ssh-prod@127.0.0.1"], { input: "stty size; echo shell-$((6*7))\nexit 0\n" });
    expect(r.stdout).toContain("shell-42");
    const sessions = (await gw.cli("sessions", "list", "--json")).stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const casts = await Promise.all(sessions.filter((x) => x.protocol === "ssh").map((x) => gw.cli("sessions", "export", x.id, "--format", "asciicast")));
    const withShell = casts.find((c) => c.stdout.includes("shell-42"));
    expect(withShell).toBeTruthy();
    const [header, ...events] = withShell!.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(header).toMatchObject({ version: 2 });
    expect(header.width).toBeGreaterThan(0);
    let last = 0;
    for (const e of events) {
      expect(e).toHaveLength(3);
      expect(["o", "i", "r"]).toContain(e[1]);
      expect(e[0]).toBeGreaterThanOrEqual(last);
      last = e[0];
    }
    expect(events.some((e) => e[1] === "i" && e[2].includes("echo"))).toBe(true);
  });

  it("copies files both ways with scp and sftp, checksums intact, names and sizes in the audit", async () => {
    const local = path.join(sshd.dir, "payload.bin");
    const data = randomBytes(3 * 1024 * 1024 + 17);
    writeFileSync(local, data);
    const remote = path.join(sshd.dir, "uploaded.bin");
    const up = await run("scp", [...client.scpOpts, local, `ssh-prod@127.0.0.1:${remote}`], { env: client.env });
    expect(up.stderr).toBe("");
    expect(up.code).toBe(0);
    const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
    expect(sha(readFileSync(remote))).toBe(sha(data));
    const back = path.join(sshd.dir, "downloaded.bin");
    const down = await run("scp", [...client.scpOpts, `ssh-prod@127.0.0.1:${remote}`, back], { env: client.env });
    expect(down.code).toBe(0);
    expect(sha(readFileSync(back))).toBe(sha(data));

    const batch = path.join(sshd.dir, "batch");
    writeFileSync(batch, `put ${local} ${remote}.2\nget ${remote}.2 ${back}.2\nrename ${remote}.2 ${remote}.3\nrm ${remote}.3\n`);
    const s = await run("sftp", [...client.scpOpts, "-b", batch, "ssh-prod@127.0.0.1"], { env: client.env });
    expect(s.code, s.stderr).toBe(0);
    expect(sha(readFileSync(`${back}.2`))).toBe(sha(data));
    expect(existsSync(`${remote}.3`)).toBe(false);

    await expect
      .poll(async () => (await auditJson()).filter((e) => e.action?.startsWith("sftp.")).map((e) => `${e.action} ${e.statement} ${e.rows ?? ""}`.trim()), { timeout: 5000 })
      .toEqual(expect.arrayContaining([`sftp.write ${remote} ${data.length}`, `sftp.read ${remote} ${data.length}`, `sftp.rename ${remote}.2 -> ${remote}.3`, `sftp.remove ${remote}.3`]));
  });

  it("a target lost mid-command: ssh is told on stderr and exits 255; the audit says the command ended without an exit status", async () => {
    // A relay between gateway and target, cut while the command runs (as a network failure would).
    const relay = await startCuttableRelay(sshd.port);
    try {
      const port = String(relay.port);
      await gw.cli("connections", "add", "ssh-cut", "--type", "ssh", "--host", "127.0.0.1", "--port", port, "--user", sshd.user, "--private-key-file", sshd.clientKeyFile);
      await gw.cli("grant", "ops", "ssh-cut");
      const running = run("ssh", [...client.opts, "ssh-cut@127.0.0.1", "echo started; sleep 20; echo never"], { env: client.env, timeoutMs: 30_000 });
      await expect.poll(async () => (await auditJson()).some((e) => e.connectionName === "ssh-cut" && e.action === "session.start"), { timeout: 10_000 }).toBe(true);
      await new Promise((r) => setTimeout(r, 1000));
      relay.cut();
      const r = await running;
      expect(r.stdout).toBe("started\n");
      expect(r.stderr).toContain("gatehouse: the connection to the target was lost (no exit status came back)");
      expect(r.code).toBe(255);
      await expect.poll(async () => (await auditJson()).find((e) => e.connectionName === "ssh-cut" && e.action === "command")?.message, { timeout: 10_000 }).toBe("ended without an exit status");
    } finally {
      await relay.close();
    }
  });

  it("refuses port and agent forwarding", async () => {
    const r = await ssh(["-W", `127.0.0.1:${sshd.port}`, "ssh-prod@127.0.0.1"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/administratively prohibited|open failed|stdio forwarding failed/);
    // The refusal is audited once the session record exists, which may be after ssh has given up.
    await expect.poll(async () => (await auditJson()).some((e) => e.action === "ssh.forwarding.refused"), { timeout: 5000 }).toBe(true);
  });

  it("audits the first 20 refusals a client repeats one by one and counts the rest in one event (a loop cannot fill the audit log)", async () => {
    const conn = new Ssh2Client();
    await new Promise<void>((resolve, reject) => {
      conn.once("ready", resolve).once("error", reject);
      conn.connect({ host: "127.0.0.1", port: gw.gw.ports.ssh, username: "ssh-prod", password: key });
    });
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => new Promise<string>((resolve) => conn.forwardIn("127.0.0.1", 20_000 + i, (err) => resolve(err ? "refused" : "accepted")))));
    expect(new Set(answers)).toEqual(new Set(["refused"]));
    const gone = new Promise<void>((resolve) => conn.once("close", () => resolve()));
    conn.end();
    await gone;
    await expect
      .poll(async () => (await auditJson()).find((e) => e.action === "ssh.refusals.suppressed"), { timeout: 5000 })
      .toMatchObject({ outcome: "denied", details: { "ssh.forwarding.refused": 30 } });
    const events = await auditJson();
    const session = events.find((e) => e.action === "ssh.refusals.suppressed").sessionId;
    expect(events.filter((e) => e.sessionId === session && e.action === "ssh.forwarding.refused")).toHaveLength(20);
    expect(events.find((e) => e.sessionId === session && e.action === "session.end")).toBeDefined();
  });
});
