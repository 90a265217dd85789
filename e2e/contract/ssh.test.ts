import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { describePipelineContract, type ClientOutcome, type ContractAdapter, type ContractSession, type Refused } from "./pipeline-contract";
import { forgedKey, seedSshConnection } from "../support/seed";
import { run } from "../support/run-program";
import { startSshServer, sshClient } from "../support/ssh-server";

// OpenSSH's own client against the gateway's SSH listener, the target a private sshd. A session is
// one SSH connection, as an agent keeps one open with ControlMaster: `ssh -M -N` signs in, and each
// command is `ssh -S <socket> host cmd`, a channel on it.
const sshAdapter: ContractAdapter = {
  name: "ssh",
  sessionProtocol: "ssh",
  // OpenSSH exits 255 for its own and the gateway's connection-level refusals; a refused command exits 1.
  codes: { badCredential: "255", noConnection: "255", refused: "1", ended: "255" },
  cases: {
    "bad-credential": true,
    "no-connection": true,
    "deny-rule": true,
    "hold-approve": true,
    "hold-reject": true,
    "hold-timeout": true,
    "admin-kill": true,
    "key-revocation": true,
    "access-expiry": true,
    "audit-per-command": true,
    masking: true,
  },
  echo: (text) => `echo ${text}`,
  async start(gw, seed) {
    const sshd = await startSshServer();
    const masters = new Set<ReturnType<typeof spawn>>();
    return {
      addConnection: (name) => seedSshConnection(seed, name, sshd),
      credential: async (who) => who.key,
      forgedCredential: forgedKey,
      async open(credential, connection) {
        const client = sshClient(sshd.dir, gw.gw.ports.ssh, credential);
        // Short: a unix socket path has a ~100-byte limit.
        const dir = mkdtempSync("/tmp/ghc-");
        const socket = path.join(dir, "m");
        const host = `${connection}@127.0.0.1`;
        const master = spawn("ssh", [...client.opts, "-M", "-S", socket, "-N", host], { env: { ...process.env, ...client.env }, stdio: ["ignore", "ignore", "pipe"] });
        masters.add(master);
        let transcript = "";
        const children = new Set<ReturnType<typeof spawn>>();
        master.stderr!.on("data", (d) => (transcript += d));
        const exited = new Promise<number>((resolve) => master.once("exit", (code) => (masters.delete(master), rmSync(dir, { recursive: true, force: true }), resolve(code ?? -1))));
        // Signed in once the control socket exists; refused when the master exits first.
        for (;;) {
          if (master.exitCode !== null || master.signalCode !== null) return { ok: false, code: String(await exited), message: transcript.trim() };
          if (existsSync(socket)) break;
          await new Promise((r) => setTimeout(r, 25));
        }
        const sshArgs = (command: string) => [...client.opts, "-S", socket, host, command];
        const session: ContractSession = {
          async run(command): Promise<ClientOutcome> {
            const r = await run("ssh", sshArgs(command), { env: client.env, timeoutMs: 30_000 });
            transcript += r.stdout + r.stderr;
            return r.code === 0 ? { ok: true, output: r.stdout } : { ok: false, code: String(r.code), message: r.stderr.trim() };
          },
          // A running command: the kill's message reaches the channels that are open. `cat` on an
          // open stdin runs until its channel closes, so nothing is left running on the target.
          async holdOpen() {
            const child = spawn("ssh", sshArgs("echo contract-live; exec cat"), { env: { ...process.env, ...client.env }, stdio: ["pipe", "pipe", "pipe"] });
            children.add(child);
            let out = "";
            let err = "";
            child.stdout.on("data", (d) => ((out += d), (transcript += d)));
            child.stderr.on("data", (d) => ((err += d), (transcript += d)));
            const ended = new Promise<Refused>((resolve) => child.once("close", (code) => (children.delete(child), resolve({ ok: false, code: String(code ?? -1), message: err.trim() }))));
            while (!out.includes("contract-live") && child.exitCode === null) await new Promise((r) => setTimeout(r, 25));
            return { ended };
          },
          transcript: () => transcript,
          async close() {
            for (const c of children) c.kill("SIGTERM");
            master.kill("SIGTERM");
            await exited;
          },
        };
        return { ok: true, session };
      },
      async stop() {
        for (const m of masters) m.kill("SIGTERM");
        await sshd.stop();
      },
    };
  },
};

describePipelineContract(sshAdapter);
