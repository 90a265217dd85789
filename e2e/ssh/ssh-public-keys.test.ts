import { afterAll, beforeAll, describe, expect, it } from "vitest";
import path from "node:path";
import { startTestGateway, run, type TestGateway } from "../support/gateway-harness";
import { startSshServer, type SshServer } from "../support/ssh-server";

let gw: TestGateway;
let sshd: SshServer;
const keyFile = () => path.join(sshd.dir, "person_ed25519");
const sshWithKey = (file: string) =>
  run(
    "ssh",
    [
      "-p",
      String(gw.gw.ports.ssh),
      "-i",
      file,
      "-o",
      "IdentitiesOnly=yes",
      "-o",
      "StrictHostKeyChecking=no",
      "-o",
      "UserKnownHostsFile=/dev/null",
      "-o",
      "LogLevel=ERROR",
      "-o",
      "BatchMode=yes",
      "ssh-pk@127.0.0.1",
      "echo as-$USER-ok",
    ],
    { timeoutMs: 30_000 },
  );

beforeAll(async () => {
  sshd = await startSshServer();
  gw = await startTestGateway();
  await gw.cli("connections", "add", "ssh-pk", "--type", "ssh", "--host", "127.0.0.1", "--port", String(sshd.port), "--user", sshd.user, "--private-key-file", sshd.clientKeyFile);
  await gw.cli("grant", "ops", "ssh-pk");
  await gw.cli("keys", "issue", "rosa", "--groups", "ops");
  for (const name of ["person_ed25519", "stranger_rsa"]) {
    const r = await run("ssh-keygen", ["-q", "-t", name.includes("rsa") ? "rsa" : "ed25519", "-N", "", "-f", path.join(sshd.dir, name)]);
    if (r.code !== 0) throw new Error(r.stderr);
  }
}, 60_000);
afterAll(async () => {
  await gw?.close();
  await sshd?.stop();
});

describe("[SSH][PUBLIC KEYS] registered keys instead of a token", () => {
  it("a registered public key logs in as its identity; an unregistered one is refused; a private key is not accepted for registration", async () => {
    const bad = await gw.cli("ssh-keys", "add", "rosa", "-f", keyFile());
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("this is a private key");
    const add = await gw.cli("ssh-keys", "add", "rosa", "-f", `${keyFile()}.pub`, "--name", "rosa laptop");
    expect(add.stdout).toMatch(/^registered SHA256:\S+ \(rosa laptop\) for rosa/);
    const ok = await sshWithKey(keyFile());
    expect(ok.stderr).toBe("");
    expect(ok.stdout).toBe(`as-${sshd.user}-ok\n`);
    const audit = (await gw.cli("audit", "list", "--json")).stdout;
    expect(audit).toContain('"identityName":"rosa"');
    const stranger = await sshWithKey(path.join(sshd.dir, "stranger_rsa"));
    expect(stranger.code).toBe(255);
    expect(stranger.stderr).toContain("Permission denied");
    const list = await gw.cli("ssh-keys", "list", "rosa");
    expect(list.stdout).toContain("rosa laptop");
    const fingerprint = list.stdout.split("\t")[0];
    // Removing the key also ends the sessions that logged in with it (once its command runs).
    let running: () => void = () => {};
    const started = new Promise<void>((resolve) => (running = resolve));
    const open = run(
      "ssh",
      [
        "-p",
        String(gw.gw.ports.ssh),
        "-i",
        keyFile(),
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "LogLevel=ERROR",
        "-o",
        "BatchMode=yes",
        "ssh-pk@127.0.0.1",
        "echo started; sleep 30",
      ],
      { timeoutMs: 30_000, onStdout: (out) => out.includes("started") && running() },
    );
    await started;
    expect((await gw.cli("ssh-keys", "remove", fingerprint)).stdout).toBe(`removed ${fingerprint}\n`);
    const ended = await open;
    expect(ended.stdout).toContain("started");
    expect(ended.stderr).toContain("session ended");
    expect(ended.code).toBe(255);
    expect((await sshWithKey(keyFile())).code).toBe(255);
  });
});
