import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FlagUsageError } from "../connection-type";
import { connectionTypeOf } from "../registry";

// `npx gatehouse connections add <name> --type <type> ...`: each type's flags as the settings and
// the secret the CLI stores, with the messages it has always given.
const postgres = connectionTypeOf("postgres");
const ssh = connectionTypeOf("ssh");

describe("postgres flags", () => {
  it("split --url into settings and the password, which alone is secret", async () => {
    const c = await postgres.cli.parse({ url: "postgres://app:s%40cret@db.internal:6543/shop" });
    expect(c).toEqual({ settings: { host: "db.internal", port: 6543, database: "shop", user: "app", sslmode: "prefer" }, secret: { password: "s@cret" } });
    expect(postgres.cli.added(c.settings)).toBe("app@db.internal:6543/shop");
    expect(postgres.cli.listed(c.settings)).toBe("db.internal:6543/shop");
  });

  it("take the TLS mode from --sslmode over the URL's, the host from ?host=, and fill in libpq's defaults", async () => {
    expect((await postgres.cli.parse({ url: "postgres://app@h/shop?sslmode=require", sslmode: "disable" })).settings.sslmode).toBe("disable");
    expect((await postgres.cli.parse({ url: "postgres://app@h/shop?sslmode=require" })).settings.sslmode).toBe("require");
    const c = await postgres.cli.parse({ url: "postgresql://@localhost?host=/run/pg" });
    expect(c).toEqual({ settings: { host: "/run/pg", port: 5432, database: "postgres", user: "postgres", sslmode: "prefer" }, secret: {} });
  });

  it("need --url (a usage error, so the help follows), and say what is wrong with a bad one", async () => {
    await expect(postgres.cli.parse({})).rejects.toThrow(FlagUsageError);
    await expect(postgres.cli.parse({ url: "" })).rejects.toThrow("--url postgres://user:password@host:port/database is required");
    await expect(postgres.cli.parse({ url: "not a url" })).rejects.toThrow("the URL is not valid: expected postgres://user:password@host:port/database");
    await expect(postgres.cli.parse({ url: "mysql://a@b/c" })).rejects.toThrow("the URL must start with postgres://");
    const bad = postgres.cli.parse({ url: "postgres://a@b/c", sslmode: "allow" });
    await expect(bad).rejects.toThrow("sslmode must be one of disable, prefer, require, verify-full");
    await expect(bad).rejects.not.toThrow(FlagUsageError);
  });
});

describe("ssh flags", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-cli-keys-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const keygen = (name: string, passphrase: string) => {
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", passphrase, "-C", name, "-f", path.join(dir, name)]);
    return path.join(dir, name);
  };
  const fp = `SHA256:${"A".repeat(42)}Q`;

  it("store host, port 22, user, recording on and forwarding off; the password is secret", async () => {
    const c = await ssh.cli.parse({ host: "bastion", user: "deploy", password: "pw" });
    expect(c).toEqual({ settings: { host: "bastion", port: 22, user: "deploy", recording: true, allowForwarding: false }, secret: { password: "pw" } });
    expect(ssh.cli.added(c.settings)).toBe("deploy@bastion:22, host key pinned at first use");
    expect(ssh.cli.listed(c.settings)).toBe("deploy@bastion:22\thost key not pinned yet");
  });

  it("take --port, --recording off, --allow-forwarding and a --host-key pin", async () => {
    const c = await ssh.cli.parse({ host: "bastion", port: "2222", user: "deploy", password: "pw", recording: "off", "allow-forwarding": true, "host-key": fp });
    expect(c.settings).toEqual({ host: "bastion", port: 2222, user: "deploy", recording: false, allowForwarding: true, hostKey: fp });
    expect(ssh.cli.added(c.settings)).toBe(`deploy@bastion:2222, host key ${fp}`);
    expect(ssh.cli.listed(c.settings)).toBe(`deploy@bastion:2222\thost key ${fp}`);
    // Anything but "off" leaves recording on.
    expect((await ssh.cli.parse({ host: "b", user: "u", password: "pw", recording: "on" })).settings.recording).toBe(true);
  });

  it("read --private-key-file as the secret, checked with ssh2", async () => {
    const file = keygen("plain", "");
    const c = await ssh.cli.parse({ host: "bastion", user: "deploy", "private-key-file": file });
    expect(c.secret).toEqual({ privateKey: readFileSync(file, "utf8") });
    await expect(ssh.cli.parse({ host: "b", user: "u", "private-key-file": keygen("locked", "correct horse") })).rejects.toThrow(
      /^the private key in .*locked cannot be read: .* \(an encrypted key is not supported; give an unencrypted one\)$/,
    );
    await expect(ssh.cli.parse({ host: "b", user: "u", "private-key-file": path.join(dir, "missing") })).rejects.toThrow(/ENOENT/);
  });

  it("refuse what the gateway could not use, in the order and words they always had", async () => {
    const ok = { host: "bastion", user: "deploy", password: "pw" };
    await expect(ssh.cli.parse({ ...ok, host: undefined })).rejects.toThrow("--host is required");
    await expect(ssh.cli.parse({ ...ok, user: "" })).rejects.toThrow("--user is required (the account the gateway logs in as on the target)");
    for (const port of ["0", "70000", "22.5", "ssh"]) await expect(ssh.cli.parse({ ...ok, port }), port).rejects.toThrow("--port must be a TCP port (1-65535)");
    await expect(ssh.cli.parse({ ...ok, password: undefined })).rejects.toThrow("give --password or --private-key-file: the gateway holds the target's credential");
    await expect(ssh.cli.parse({ ...ok, "host-key": "MD5:aa:bb" })).rejects.toThrow("--host-key is a SHA256 fingerprint as `ssh-keygen -lf` prints it: SHA256:<43 characters>");
    await expect(ssh.cli.parse({ ...ok, host: undefined })).rejects.not.toThrow(FlagUsageError);
  });
});
