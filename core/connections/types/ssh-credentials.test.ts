import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConnectionFieldError } from "../connection-type";
import { sshFormSchema, type SshForm } from "./ssh";
import { normalizePrivateKey, planSshSecrets, privateKeyIssue, settleHostKey } from "./ssh-credentials";

// Real keys from OpenSSH's ssh-keygen: what an admin would paste.
const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-keys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function keygen(name: string, args: string[]): { privateKey: string; publicKey: string } {
  execFileSync("ssh-keygen", ["-q", ...args, "-C", name, "-f", path.join(dir, name)]);
  return { privateKey: readFileSync(path.join(dir, name), "utf8"), publicKey: readFileSync(path.join(dir, `${name}.pub`), "utf8") };
}
const ed25519 = keygen("plain", ["-t", "ed25519", "-N", ""]);
const encrypted = keygen("encrypted", ["-t", "ed25519", "-N", "correct horse"]);
const rsaPem = keygen("rsa-pem", ["-t", "rsa", "-b", "2048", "-m", "PEM", "-N", ""]);

const form = (extra: Record<string, unknown> = {}): SshForm => sshFormSchema.parse({ type: "ssh", name: "ssh-bastion", host: "bastion", port: "22", user: "deploy", auth: "privateKey", ...extra });
const fieldErrors = async (fn: () => Promise<unknown>) => {
  try {
    await fn();
  } catch (err) {
    if (err instanceof ConnectionFieldError) return err.fields;
    throw err;
  }
  throw new Error("expected a field error");
};

describe("privateKeyIssue", () => {
  it("accepts unencrypted OpenSSH and PEM private keys", async () => {
    expect(await privateKeyIssue(ed25519.privateKey)).toBeUndefined();
    expect(await privateKeyIssue(rsaPem.privateKey)).toBeUndefined();
  });

  it("says a key is encrypted, is a public key, or is not a key", async () => {
    expect(await privateKeyIssue(encrypted.privateKey)).toMatch(/encrypted with a passphrase/);
    expect(await privateKeyIssue(ed25519.publicKey)).toMatch(/public key; paste the private half/);
    expect(await privateKeyIssue("hunter2")).toMatch(/not a private key ssh2 can read/);
    expect(await privateKeyIssue(ed25519.privateKey.slice(0, 120))).toBeDefined();
  });

  it("reads a key pasted with Windows line ends and blank lines once normalised", async () => {
    const pasted = `\r\n\r\n${ed25519.privateKey.replace(/\n/g, "\r\n")}  \r\n`;
    const key = normalizePrivateKey(pasted);
    expect(key).toBe(ed25519.privateKey);
    expect(await privateKeyIssue(key)).toBeUndefined();
  });
});

describe("planSshSecrets", () => {
  it("stores a typed key normalised and refuses one ssh2 cannot read, under its field", async () => {
    expect((await planSshSecrets(form(), { privateKey: ed25519.privateKey.replace(/\n/g, "\r\n") }, [], [])).typedSecrets).toEqual({ privateKey: ed25519.privateKey });
    expect(await fieldErrors(() => planSshSecrets(form(), { privateKey: encrypted.privateKey }, [], []))).toEqual({ privateKey: expect.stringMatching(/encrypted/) });
    expect(await fieldErrors(() => planSshSecrets(form(), { privateKey: ed25519.publicKey }, [], []))).toEqual({ privateKey: expect.stringMatching(/public key/) });
  });

  it("needs a credential: typed, or the stored one kept", async () => {
    expect(await fieldErrors(() => planSshSecrets(form(), {}, [], []))).toEqual({ privateKey: "paste the private key the gateway logs in with" });
    expect(await fieldErrors(() => planSshSecrets(form({ auth: "password" }), {}, [], ["privateKey"]))).toEqual({ password: "type the password the gateway logs in with" });
    expect(await planSshSecrets(form(), {}, [], ["privateKey"])).toEqual({ auth: "privateKey", typedSecrets: {}, clearSecrets: [] });
  });

  it("switching to a password removes the stored key, and back", async () => {
    expect(await planSshSecrets(form({ auth: "password" }), { password: "pw" }, [], ["privateKey"])).toEqual({ auth: "password", typedSecrets: { password: "pw" }, clearSecrets: ["privateKey"] });
    expect((await planSshSecrets(form(), { privateKey: ed25519.privateKey }, [], ["password"])).clearSecrets).toEqual(["password"]);
  });

  it("ignores what was typed into the hidden credential field", async () => {
    const p = await planSshSecrets(form({ auth: "password" }), { password: "pw", privateKey: "left over" }, [], []);
    expect(p.typedSecrets).toEqual({ password: "pw" });
  });

  it("keeps both credentials the CLI stored while nothing new is typed", async () => {
    expect((await planSshSecrets(form(), {}, [], ["password", "privateKey"])).clearSecrets).toEqual([]);
  });

  it("without a choice (the list's Test) uses the credential that is stored", async () => {
    expect((await planSshSecrets(form({ auth: undefined }), {}, [], ["password"])).auth).toBe("password");
    expect((await planSshSecrets(form({ auth: undefined }), {}, [], ["privateKey"])).auth).toBe("privateKey");
  });
});

describe("settleHostKey", () => {
  const fpA = `SHA256:${"A".repeat(42)}Q`;
  const fpB = `SHA256:${"B".repeat(42)}Q`;
  const now = new Date("2026-01-02T03:04:05.000Z");
  const base = { host: "bastion", port: 22, user: "deploy", recording: true, allowForwarding: false };
  const pinnedAtFirstUse = { ...base, hostKey: fpA, hostKeyPinnedAt: "2026-01-01 10:00:00.123+00" };

  it("keeps a pin the form did not show or change (the gateway may have pinned while the form was open)", () => {
    expect(settleHostKey({ ...base, port: 2222 }, pinnedAtFirstUse, "admin@x", now)).toEqual({ ...pinnedAtFirstUse, port: 2222 });
    expect(settleHostKey({ ...base, hostKey: fpA }, pinnedAtFirstUse, "admin@x", now)).toEqual(pinnedAtFirstUse);
  });

  it("pins a typed fingerprint, saying who and when", () => {
    expect(settleHostKey({ ...base, hostKey: fpB }, null, "admin@x", now)).toEqual({ ...base, hostKey: fpB, hostKeyPinnedAt: now.toISOString(), hostKeyPinnedBy: "admin@x" });
    expect(settleHostKey({ ...base, hostKey: fpB }, pinnedAtFirstUse, "admin@x", now)).toMatchObject({ hostKey: fpB, hostKeyPinnedBy: "admin@x" });
  });

  it("leaves an unpinned connection unpinned, and never takes pin details from the form", () => {
    expect(settleHostKey(base, { ...base }, "admin@x", now)).toEqual(base);
    expect(settleHostKey({ ...base, hostKeyPinnedAt: "forged", hostKeyPinnedBy: "someone" }, undefined, "admin@x", now)).toEqual(base);
  });
});
