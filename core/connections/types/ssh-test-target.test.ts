import { readFileSync } from "node:fs";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSshServer, type SshServer } from "../../../e2e/support/ssh-server";
import { testSshTarget } from "./ssh-credentials";

// The console's "Test connection" for SSH against a real OpenSSH server on a free port.
let sshd: SshServer;
let privateKey: string;
beforeAll(async () => {
  sshd = await startSshServer();
  privateKey = readFileSync(sshd.clientKeyFile, "utf8");
});
afterAll(() => sshd?.stop());

const target = () => ({ host: "127.0.0.1", port: sshd.port, user: sshd.user, auth: "privateKey" as const, secret: { privateKey } });

describe("testSshTarget", () => {
  it("logs in and reports the host key, not pinned yet", async () => {
    const r = await testSshTarget(target());
    expect(r).toMatchObject({ ok: true, serverVersion: expect.stringMatching(/OpenSSH/), hostKey: { fingerprint: sshd.hostKeyFingerprint, pinned: null, matches: null } });
  });

  it("says the key matches the pin", async () => {
    const r = await testSshTarget({ ...target(), pinnedHostKey: sshd.hostKeyFingerprint });
    expect(r.hostKey).toEqual({ fingerprint: sshd.hostKeyFingerprint, pinned: sshd.hostKeyFingerprint, matches: true });
  });

  it("refuses a key that is not the pinned one before sending the credential", async () => {
    const other = `SHA256:${"A".repeat(42)}Q`;
    const r = await testSshTarget({ ...target(), auth: "password", secret: { password: "hunter2-secret" }, pinnedHostKey: other });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toContain(`is ${sshd.hostKeyFingerprint}, not the pinned ${other}; the credential was not sent`);
    expect(r.hostKey?.matches).toBe(false);
  });

  it("gives the target's refusal for a wrong user or a wrong key, never the secret", async () => {
    const wrongUser = await testSshTarget({ ...target(), user: "nobody-here" });
    expect(wrongUser).toMatchObject({ ok: false, error: expect.stringMatching(/^authentication failed for user nobody-here on 127\.0\.0\.1:\d+: the target refused the private key$/) });
    const password = await testSshTarget({ ...target(), auth: "password", secret: { password: "hunter2-secret" } });
    expect(password.ok).toBe(false);
    expect(JSON.stringify(password)).not.toContain("hunter2-secret");
    expect(JSON.stringify(password)).toMatch(/authentication failed for user/);
  });

  it("says the connection was refused on a port where nothing listens", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const r = await testSshTarget({ ...target(), port });
    expect(r).toMatchObject({ ok: false, error: `connection refused by 127.0.0.1:${port}: nothing listens on that port` });
  });
});
