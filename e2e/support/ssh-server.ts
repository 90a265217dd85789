import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "./free-port";
import { run } from "./run-program";

export type SshServer = {
  port: number;
  dir: string;
  /** The private key the gateway logs in to the target with (its public half is authorised). */
  clientKeyFile: string;
  /** `SHA256:...` of the server's host key, as ssh-keygen prints it. */
  hostKeyFingerprint: string;
  user: string;
  stop: () => Promise<void>;
};

/**
 * A private OpenSSH server (Debian's sshd) on a free port with its own config, host key and
 * authorised key, logging in as the user running the tests (root on these machines).
 * `config` adds sshd_config lines (given the server's private folder).
 */
export async function startSshServer(opts: { config?: (dir: string) => string[]; netns?: string } = {}): Promise<SshServer> {
  const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-sshd-"));
  const port = await freePort();
  const user = (await run("id", ["-un"])).stdout.trim();
  for (const name of ["host_ed25519", "client_ed25519"]) {
    const r = await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path.join(dir, name)]);
    if (r.code !== 0) throw new Error(r.stderr);
  }
  writeFileSync(path.join(dir, "authorized_keys"), readFileSync(path.join(dir, "client_ed25519.pub")), { mode: 0o600 });
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const config = path.join(dir, "sshd_config");
  writeFileSync(
    config,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${path.join(dir, "host_ed25519")}`,
      `PidFile ${path.join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${path.join(dir, "authorized_keys")}`,
      "PermitRootLogin prohibit-password",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "StrictModes no",
      "AllowTcpForwarding yes",
      "Subsystem sftp internal-sftp",
      "PrintMotd no",
      "LogLevel ERROR",
      // BASH_FUNC_* too: a permissive target, whose bash would import a function the client names (one called echo runs instead of echo).
      "AcceptEnv LANG LC_* GATEHOUSE_* BASH_FUNC_*",
      // HOME is the server's folder, so the user's shell start-up files are not read: root's .bashrc
      // here runs `pyenv rehash`, whose lock file a killed shell (the crash tests kill sessions) leaves
      // behind, and every later login then waits 60 s for it.
      `SetEnv HOME=${dir}`,
      // Extra keywords (sshd keeps the first value of a keyword: these add, they do not override).
      ...(opts.config?.(dir) ?? []),
    ].join("\n") + "\n",
  );
  const fp = await run("ssh-keygen", ["-l", "-f", path.join(dir, "host_ed25519.pub")]);
  // In a network namespace (e2e/connector), its 127.0.0.1 is the namespace's own.
  const sshd = ["/usr/sbin/sshd", "-D", "-e", "-f", config];
  const child: ChildProcess = opts.netns
    ? spawn("ip", ["netns", "exec", opts.netns, ...sshd], { stdio: ["ignore", "ignore", "pipe"] })
    : spawn(sshd[0], sshd.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr?.on("data", (d) => (log += d));
  for (let i = 0; ; i++) {
    const open = opts.netns
      ? (await run("ip", ["netns", "exec", opts.netns, "bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${port}`])).code === 0
      : await new Promise<boolean>((resolve) => {
          const s = net.connect(port, "127.0.0.1");
          s.once("connect", () => (s.destroy(), resolve(true)));
          s.once("error", () => resolve(false));
        });
    if (open) break;
    if (child.exitCode !== null || i > 100) throw new Error(`sshd did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    dir,
    user,
    clientKeyFile: path.join(dir, "client_ed25519"),
    hostKeyFingerprint: fp.stdout.split(" ")[1],
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once("exit", r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * OpenSSH client arguments and environment to reach a gateway connection with a token: the token
 * is answered to the password / keyboard-interactive prompt through SSH_ASKPASS, as a script would.
 */
export function sshClient(dir: string, gatewayPort: number, token: string) {
  const askpass = path.join(dir, `askpass-${Math.random().toString(36).slice(2)}`);
  writeFileSync(askpass, `#!/bin/sh\nprintf '%s\\n' "$GATEHOUSE_TOKEN"\n`, { mode: 0o700 });
  const opts = [
    "-p",
    String(gatewayPort),
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "LogLevel=ERROR",
    "-o",
    "PubkeyAuthentication=no",
    "-o",
    "PreferredAuthentications=keyboard-interactive,password",
    "-o",
    "NumberOfPasswordPrompts=1",
    "-o",
    "BatchMode=no",
    "-o",
    "ConnectTimeout=10",
  ];
  const env = { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: "force", DISPLAY: ":0", GATEHOUSE_TOKEN: token };
  return { opts, env, scpOpts: opts.map((o) => (o === "-p" ? "-P" : o)) };
}

/**
 * sshd_config lines for a target that fuzzers may throw anything at: every command, shell and
 * subsystem is forced to a script (`healthy-N` prints itself, anything else is `cat`), so random
 * bytes never run as commands on this machine. Sessions and start-ups are not capped.
 */
export function harmlessTargetConfig(dir: string): string[] {
  const forced = path.join(dir, "forced.sh");
  writeFileSync(forced, `#!/bin/sh\ncase "$SSH_ORIGINAL_COMMAND" in\n  healthy-*) printf '%s\\n' "$SSH_ORIGINAL_COMMAND" ;;\n  *) exec cat ;;\nesac\n`, { mode: 0o755 });
  return [`ForceCommand ${forced}`, "MaxSessions 1000", "MaxStartups 1000"];
}
