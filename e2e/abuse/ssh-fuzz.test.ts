import { afterAll, beforeAll, describe, expect, it } from "vitest";
import net from "node:net";
import path from "node:path";
import { writeFileSync } from "node:fs";
import { Client } from "ssh2";
import { eq } from "drizzle-orm";
import { sessions } from "../../drizzle/schema/index";
import { startTestGateway, run, type TestGateway } from "../support/gateway-harness";
import { harmlessTargetConfig, startSshServer, sshClient, type SshServer } from "../support/ssh-server";
import { fuzzSeed, rng, type Rng } from "../support/seeded-rng";
import { MSG, sendRaw, str, u32, u8 } from "../support/ssh-raw";

// A fuzzer for the SSH listener (issue 13): after a real sign-in, sessions send random and mutated
// channel traffic (channel opens of every type, channel requests with garbage payloads, odd pty-req,
// env and window-change, data bursts, exec with binary or huge commands, subsystems, global
// requests, unknown messages), and raw TCP clients send garbage after (or instead of) the version
// exchange. Healthy clients in the loop (OpenSSH's ssh, and ssh2 on one long connection) must see no
// failure. The target is a real sshd whose every command is forced to a harmless script (random
// bytes must not run as shell commands on this machine, see harmlessTargetConfig). FUZZ_SEED replays a run; FUZZ_SESSIONS makes it longer.
const SEED = fuzzSeed();
const SESSIONS = Number(process.env.FUZZ_SESSIONS ?? 48);
const RAW = Number(process.env.FUZZ_RAW ?? 48);
const MiB = 1024 * 1024;
const GRACE_S = 3;
let t: TestGateway;
let sshd: SshServer;
let key: string;

beforeAll(async () => {
  sshd = await startSshServer({ config: harmlessTargetConfig });
  // A short login grace time, so that the raw clients' connections are seen closed within the run.
  t = await startTestGateway({ GATEHOUSE_SSH_LOGIN_GRACE_SECONDS: String(GRACE_S) });
  const add = await t.cli("connections", "add", "fuzzed", "--type", "ssh", "--host", "127.0.0.1", "--port", String(sshd.port), "--user", sshd.user, "--private-key-file", sshd.clientKeyFile);
  if (add.code !== 0) throw new Error(add.stderr);
  await t.cli("grant", "ops", "fuzzed");
  key = (await t.cli("keys", "issue", "fuzzer", "--groups", "ops")).stdout.trim();
  // Rules make the gateway judge every exec and typed line (the garbage included).
  const policy = path.join(sshd.dir, "policy.json");
  writeFileSync(policy, JSON.stringify({ rules: [{ name: "no-rm", action: "deny", match: { kinds: ["rm"] } }] }));
  if ((await t.cli("policies", "apply", "fuzzed", "-f", policy)).code !== 0) throw new Error("policy");
  await new Promise((r) => setTimeout(r, 1000));
}, 60_000);
afterAll(async () => {
  await t?.close();
  await sshd?.stop();
});

const SIZES = [0, 1, 24, 80, 500, 65_535, 0x7fff_ffff, 0xffff_ffff] as const;
const size = (r: Rng) => (r.int(3) ? r.pick(SIZES) : r.int(1 << 20));
const text = (r: Rng, n: number) => (r.int(2) ? r.bytes(n) : Buffer.from(Array.from({ length: n }, () => r.pick([..."rm -rf /tmp/x; echo $(id) `ls` \r\n\t\x03\x04\x1b[A\x7f"])).join("")));

/** A channel request's type-specific part, as a client would send it, with odd values. */
const REQUESTS: Record<string, (r: Rng) => Buffer> = {
  "pty-req": (r) =>
    Buffer.concat([str(r.pick(["xterm", "", "x".repeat(2000)])), u32(size(r)), u32(size(r)), u32(size(r)), u32(size(r)), str(r.int(2) ? Buffer.from([1, 0, 0, 0, 3, 0]) : r.bytes(r.int(3000)))]),
  env: (r) => Buffer.concat([str(r.int(2) ? "LANG" : r.bytes(1 + r.int(200))), str(r.bytes(r.int(2) ? 10 : 30_000))]),
  "window-change": (r) => Buffer.concat([u32(size(r)), u32(size(r)), u32(size(r)), u32(size(r))]),
  exec: (r) => str(r.int(3) ? text(r, 1 + r.int(200)) : r.bytes(30_000)),
  shell: () => Buffer.alloc(0),
  subsystem: (r) => str(r.pick(["sftp", "sftp\0x", "netconf", "", "x".repeat(500)])),
  signal: (r) => str(r.pick(["INT", "KILL", "", "\x1b[2J", "TERM"])),
  "x11-req": (r) => Buffer.concat([u8(r.int(2)), str("MIT-MAGIC-COOKIE-1"), str(r.bytes(16)), u32(0)]),
  "auth-agent-req@openssh.com": () => Buffer.alloc(0),
  break: (r) => u32(size(r)),
  "exit-status": (r) => u32(size(r)),
  "eow@openssh.com": () => Buffer.alloc(0),
  "keepalive@openssh.com": () => Buffer.alloc(0),
};

/** Cut short, garbage appended, bytes flipped, or as sent. */
function mutate(r: Rng, b: Buffer): Buffer {
  switch (r.int(5)) {
    case 0:
      return b.subarray(0, r.int(b.length + 1));
    case 1:
      return Buffer.concat([b, r.bytes(1 + r.int(64))]);
    case 2: {
      const c = Buffer.from(b);
      for (let i = 0, n = 1 + r.int(4); i < n && c.length; i++) c[r.int(c.length)] = r.int(256);
      return c;
    }
    default:
      return b;
  }
}

type Counters = { frames: number; opened: number; ended: number };

/** One signed-in client sending random and mutated traffic. */
async function fuzzSession(r: Rng, port: number, n: Counters): Promise<void> {
  const c = new Client();
  c.on("error", () => {});
  const closed = new Promise<void>((resolve) => c.once("close", () => resolve()));
  let gone = false;
  void closed.then(() => (gone = true));
  await new Promise<void>((resolve, reject) => c.once("ready", resolve).once("error", reject).connect({ host: "127.0.0.1", port, username: "fuzzed", password: key, readyTimeout: 20_000 }));
  n.opened++;
  let localId = 1000;
  let serverChannels = 0;
  const channel = () => (r.int(8) ? r.int(serverChannels + 2) : r.int(2 ** 32));
  const send = (payload: Buffer) => {
    if (gone) return;
    n.frames++;
    sendRaw(c, payload);
  };
  for (let i = 0, actions = 5 + r.int(40); i < actions && !gone; i++) {
    switch (r.int(10)) {
      case 0:
      case 1: {
        // A channel of any type, with any window and packet size.
        const type = r.pick(["session", "session", "session", "direct-tcpip", "x11", "forwarded-tcpip", "auth-agent@openssh.com", "nonsense"]);
        const extra = type === "direct-tcpip" ? Buffer.concat([str("127.0.0.1"), u32(r.pick([0, 1])), str("127.0.0.1"), u32(r.int(65_536))]) : r.int(2) ? Buffer.alloc(0) : r.bytes(r.int(100));
        send(Buffer.concat([u8(MSG.CHANNEL_OPEN), str(type), u32(localId++), u32(r.pick([0, 1, 2 * MiB, 0xffff_ffff])), u32(r.pick([0, 1, 32_768, 0xffff_ffff])), extra]));
        if (type === "session") serverChannels++;
        break;
      }
      case 2:
      case 3:
      case 4: {
        const name = r.int(10) ? r.pick(Object.keys(REQUESTS)) : r.bytes(1 + r.int(40)).toString("latin1");
        const body = REQUESTS[name]?.(r) ?? r.bytes(r.int(200));
        send(Buffer.concat([u8(MSG.CHANNEL_REQUEST), u32(channel()), str(name), u8(r.int(2)), mutate(r, body)]));
        break;
      }
      case 5: {
        // A burst of data, typed lines among it.
        for (let k = 0, bursts = 1 + r.int(8); k < bursts; k++)
          send(Buffer.concat([u8(r.int(5) ? MSG.CHANNEL_DATA : MSG.CHANNEL_EXTENDED_DATA), u32(channel()), ...(r.int(5) ? [] : [u32(1)]), str(text(r, 1 + r.int(16_000)))]));
        break;
      }
      case 6:
        send(Buffer.concat([u8(r.pick([MSG.CHANNEL_EOF, MSG.CHANNEL_CLOSE, MSG.CHANNEL_WINDOW_ADJUST])), u32(channel()), ...(r.int(2) ? [u32(size(r))] : [])]));
        break;
      case 7: {
        const name = r.pick([
          "tcpip-forward",
          "cancel-tcpip-forward",
          "keepalive@openssh.com",
          "no-more-sessions@openssh.com",
          "hostkeys-prove-00@openssh.com",
          "streamlocal-forward@openssh.com",
          "x".repeat(1 + r.int(300)),
        ]);
        send(Buffer.concat([u8(MSG.GLOBAL_REQUEST), str(name), u8(r.int(2)), mutate(r, Buffer.concat([str("0.0.0.0"), u32(r.int(65_536))]))]));
        break;
      }
      case 8: {
        // Messages of any type (unknown ones, ones only a server sends, transport ones), with garbage.
        send(Buffer.concat([u8(r.pick([MSG.IGNORE, MSG.DEBUG, 1 + r.int(255), 91, 92, 99, 100, 60, 20, 21])), r.bytes(r.int(300))]));
        break;
      }
      default: {
        // Through ssh2's own API: exec with a binary or huge command, a shell with odd sizes, sftp.
        const open = r.pick(["exec", "shell", "sftp"] as const);
        const ch = await new Promise<import("ssh2").ClientChannel | null>((resolve) => {
          const cb = (err: Error | undefined, s: import("ssh2").ClientChannel) => resolve(err ? null : s);
          const command = text(r, r.int(3) ? 1 + r.int(300) : 30_000).toString("latin1");
          const window = { rows: r.int(5000), cols: r.int(5000), height: size(r), width: size(r), term: r.pick(["xterm", "vt100", "\x1b]0;x\x07"]) };
          try {
            if (open === "exec") c.exec(command, cb);
            else if (open === "shell") c.shell(window, cb);
            else c.subsys("sftp", cb);
          } catch {
            resolve(null); // the gateway ended this connection meanwhile
          }
          setTimeout(() => resolve(null), 3000);
        });
        serverChannels++;
        if (ch) {
          ch.on("data", () => {});
          ch.stderr.on("data", () => {});
          ch.on("error", () => {});
          for (let k = 0, m = r.int(6); k < m; k++) ch.write(text(r, 1 + r.int(8000)));
          if (r.int(2)) ch.end();
        }
      }
    }
    if (r.int(3) === 0) await new Promise((res) => setTimeout(res, r.int(40)));
  }
  await new Promise((res) => setTimeout(res, 100 + r.int(400)));
  if (gone) n.ended++;
  c.end();
  await Promise.race([closed, new Promise((res) => setTimeout(res, 3000))]);
}

/** A TCP client that does not speak SSH properly: garbage after, before or instead of the version exchange. */
async function rawGarbage(r: Rng, port: number): Promise<boolean> {
  const sock = net.connect(port, "127.0.0.1");
  sock.on("error", () => {});
  sock.resume(); // the gateway's version line and whatever follows are read and dropped
  const closed = new Promise<boolean>((resolve) => sock.once("close", () => resolve(true)));
  await new Promise((resolve) => sock.once("connect", resolve).once("error", resolve));
  const version = Buffer.from("SSH-2.0-fuzz\r\n");
  const lie = (len: number) => Buffer.concat([u32(len), u8(4), r.bytes(20)]);
  const choice = r.int(6);
  const payload = [
    () => Buffer.concat([version, r.bytes(1 + r.int(4000))]),
    () => r.bytes(1 + r.int(4000)),
    () => Buffer.concat([version, lie(r.pick([0, 1, 5, 0xffff_ffff, 40 * MiB, r.int(1 << 20)]))]),
    () => Buffer.from(`SSH-1.5-old\r\n`),
    () => Buffer.from("SSH-2.0-" + "x".repeat(300 + r.int(5000))),
    () => Buffer.concat([Buffer.from("hello\r\n".repeat(1 + r.int(100))), version, r.bytes(r.int(200))]),
  ][choice]();
  sock.write(payload);
  // Whatever it sent, the gateway closes the connection: at once on a protocol error, else at the login grace time.
  const ended = await Promise.race([closed, new Promise<boolean>((res) => setTimeout(() => res(false), GRACE_S * 1000 + 1500))]);
  sock.destroy();
  return ended;
}

describe("[ABUSE][SSH] a channel's maximum packet size", () => {
  // ssh2 loops forever writing to a channel whose peer declared a maximum packet of 0 (it slices by it
  // and never advances): before the gateway refused such channels, one open and a denied exec on it kept
  // the gateway allocating packets until its process ran out of memory (a fuzz seed found it).
  it("refuses a channel open declaring less than 256 bytes, with the reason; the connection and the gateway go on", async () => {
    const c = new Client();
    c.on("error", () => {});
    await new Promise<void>((resolve, reject) => c.once("ready", resolve).once("error", reject).connect({ host: "127.0.0.1", port: t.gw.ports.ssh, username: "fuzzed", password: key }));
    try {
      type Handler = (p: unknown, ...args: unknown[]) => void;
      const handlers = (c as unknown as { _protocol: { _handlers: Record<string, Handler> } })._protocol._handlers;
      const answers = new Map<number, string>();
      for (const [name, said] of [
        ["CHANNEL_OPEN_FAILURE", (recipient: number, _reason: number, description: string) => answers.set(recipient, `refused: ${description}`)],
        ["CHANNEL_OPEN_CONFIRMATION", (info: { recipient: number }) => answers.set(info.recipient, "opened")],
      ] as const) {
        const inner = handlers[name];
        handlers[name] = (p, ...args) => (((args[0] as { recipient?: number }).recipient ?? (args[0] as number)) >= 5000 ? (said as (...a: unknown[]) => void)(...args) : inner(p, ...args));
      }
      const open = (id: number, packet: number) => sendRaw(c, Buffer.concat([u8(MSG.CHANNEL_OPEN), str("session"), u32(id), u32(2 * MiB), u32(packet)]));
      open(5000, 0);
      open(5001, 1);
      open(5002, 255);
      open(5003, 256);
      // A denied command on the first channel the gateway took: before, that was the one that said 0, and this never returned.
      sendRaw(c, Buffer.concat([u8(MSG.CHANNEL_REQUEST), u32(0), str("exec"), u8(0), str("rm -rf /tmp/nothing")]));
      await expect.poll(() => answers.size, { timeout: 10_000 }).toBe(4);
      expect(answers.get(5000)).toBe("refused: gatehouse: a channel's maximum packet size must be at least 256 bytes (this one said 0)");
      expect(answers.get(5001)).toMatch(/^refused: .*this one said 1\)$/);
      expect(answers.get(5002)).toMatch(/^refused: /);
      expect(answers.get(5003)).toBe("opened");
      // The same connection still runs commands, as does a new one.
      const out = await new Promise<string>((resolve, reject) =>
        c.exec("healthy-after-tiny", (err, ch) => {
          if (err) return reject(err);
          let o = "";
          ch.on("data", (d: Buffer) => (o += d));
          ch.stderr.on("data", () => {});
          ch.on("close", () => resolve(o));
        }),
      );
      expect(out).toBe("healthy-after-tiny\n");
    } finally {
      c.end();
    }
  });
});

describe("[ABUSE][FUZZ][SSH] random and mutated channel traffic after a real sign-in, and garbage before it", () => {
  it(`never fails a healthy client or the gateway (seed ${SEED}, ${SESSIONS} sessions, ${RAW} raw connections)`, async () => {
    const r = rng(SEED);
    const port = t.gw.ports.ssh;
    const failures: string[] = [];
    let fuzzing = true;
    // A healthy ssh2 client on one long connection, running a command every 30 ms.
    const healthy = new Client();
    healthy.on("error", (e) => failures.push(`ssh2: ${e.message}`));
    await new Promise<void>((resolve, reject) => healthy.once("ready", resolve).once("error", reject).connect({ host: "127.0.0.1", port, username: "fuzzed", password: key }));
    let execs = 0;
    const execLoop = (async () => {
      for (let i = 0; fuzzing; i++) {
        const out = await new Promise<string>((resolve, reject) =>
          healthy.exec(`healthy-${i}`, (err, ch) => {
            if (err) return reject(err);
            let o = "";
            ch.on("data", (d: Buffer) => (o += d));
            // The target's own stderr (its shell's start-up files on this machine) is not the gateway's.
            ch.stderr.on("data", () => {});
            ch.on("close", () => resolve(o));
          }),
        );
        if (out !== `healthy-${i}\n`) failures.push(`ssh2 exec ${i}: ${JSON.stringify(out)}`);
        execs++;
        await new Promise((res) => setTimeout(res, 30));
      }
    })().catch((e: Error) => failures.push(`ssh2: ${e.message}`));
    // And OpenSSH's ssh, a new connection each time.
    const openssh = sshClient(sshd.dir, port, key);
    let logins = 0;
    const sshLoop = (async () => {
      for (let i = 0; fuzzing; i++) {
        const res = await run("ssh", [...openssh.opts, "fuzzed@127.0.0.1", `healthy-ssh-${i}`], { env: openssh.env, timeoutMs: 30_000 });
        if (res.code !== 0 || res.stdout !== `healthy-ssh-${i}\n`) failures.push(`ssh ${i}: exit ${res.code} ${JSON.stringify(res.stdout)} ${res.stderr.split("\n").slice(-15).join("\n")}`);
        logins++;
      }
    })();

    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 100);
    const n: Counters = { frames: 0, opened: 0, ended: 0 };
    let rawEnded = 0;
    const started = performance.now();
    const raw = Array.from({ length: RAW }, (_, i) => async () => {
      await new Promise((res) => setTimeout(res, i * 150));
      if (await rawGarbage(r, port)) rawEnded++;
    });
    const rawDone = Promise.all(raw.map((f) => f()));
    for (let i = 0; i < SESSIONS; i += 6)
      await Promise.all(Array.from({ length: Math.min(6, SESSIONS - i) }, () => fuzzSession(r, port, n).catch((e: Error) => failures.push(`fuzz sign-in: ${e.message}`))));
    await rawDone;
    const fuzzMs = performance.now() - started;
    fuzzing = false;
    await Promise.all([execLoop, sshLoop]);
    clearInterval(sampler);

    expect(failures).toEqual([]);
    expect(rawEnded).toBe(RAW);
    expect(execs).toBeGreaterThan(20);
    expect(logins).toBeGreaterThan(3);
    // The gateway still takes new sessions, and every fuzzed session has ended (none left active).
    const fresh = await run("ssh", [...openssh.opts, "fuzzed@127.0.0.1", "healthy-after"], { env: openssh.env, timeoutMs: 30_000 });
    expect(fresh.stdout).toBe("healthy-after\n");
    healthy.end();
    await expect.poll(async () => (await t.gw.deps.db.select({ id: sessions.id }).from(sessions).where(eq(sessions.status, "active"))).length, { timeout: 15_000 }).toBe(0);
    const growth = (process.memoryUsage().rss - rssBefore) / MiB;
    console.log(
      `[ABUSE][FUZZ][SSH] seed ${SEED}: ${SESSIONS} fuzzed sessions (${n.frames} raw messages, ${n.ended} ended by the gateway), ${RAW} raw connections (${rawEnded} closed by the gateway) in ${(fuzzMs / 1000).toFixed(1)} s; ` +
        `healthy: ${execs} ssh2 execs and ${logins} OpenSSH logins, 0 failures; RSS ${(rssBefore / MiB).toFixed(0)} MiB before, peak ${(rssPeak / MiB).toFixed(0)}, after ${(process.memoryUsage().rss / MiB).toFixed(0)} (+${growth.toFixed(0)})`,
    );
    expect(growth).toBeLessThan(200);
  }, 120_000);
});
