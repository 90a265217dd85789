import { afterAll, beforeAll, describe, expect, it } from "vitest";
import net from "node:net";
import { randomBytes } from "node:crypto";
import WebSocket from "ws";
import { eq } from "drizzle-orm";
import { identities, sessions } from "../../drizzle/schema/index";
import { issueTerminalTicket } from "../../core/terminal/terminal-tickets";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { harmlessTargetConfig, startSshServer, type SshServer } from "../support/ssh-server";
import { fuzzSeed, rng, type Rng } from "../support/seeded-rng";
import { startHealthyLoop } from "../support/healthy-loop";

// A fuzzer for the browser terminal's WebSocket (issue 13): after a real ticket, terminals get random
// and mutated frames (binary bursts with control keys and escape sequences, resize messages with
// absurd sizes, invalid JSON, frames past the 1 MiB limit, a flood while the terminal is still
// opening) and raw TCP clients send broken WebSocket frames after a real upgrade; a healthy terminal
// typing a line every 50 ms must see each one echoed. The terminal is an SSH shell on a target whose
// every command is `cat` (harmlessTargetConfig), so random keys never run as commands.
const SEED = fuzzSeed();
const SESSIONS = Number(process.env.FUZZ_SESSIONS ?? 64);
const MiB = 1024 * 1024;
let t: TestGateway;
let sshd: SshServer;
let identityId: string;
let framesSent = 0;

beforeAll(async () => {
  sshd = await startSshServer({ config: harmlessTargetConfig });
  t = await startTestGateway();
  await t.setupAccess({ connection: "unused-pg", group: "ops", identity: "pat" });
  const add = await t.cli("connections", "add", "term-fuzz", "--type", "ssh", "--host", "127.0.0.1", "--port", String(sshd.port), "--user", sshd.user, "--private-key-file", sshd.clientKeyFile);
  if (add.code !== 0) throw new Error(add.stderr);
  await t.cli("grant", "ops", "term-fuzz");
  identityId = (await t.gw.deps.db.select({ id: identities.id }).from(identities).where(eq(identities.name, "pat")))[0].id;
}, 60_000);
afterAll(async () => {
  await t?.close();
  await sshd?.stop();
});

const ticket = async () => (await issueTerminalTicket(t.gw.deps.db, { identityId, groups: ["ops"], connectionName: "term-fuzz", consoleUser: "pat@example.com", cols: 80, rows: 24 })).ticket;
const url = (tk: string) => `ws://127.0.0.1:${t.gw.ports.http}/terminal?ticket=${encodeURIComponent(tk)}`;

const KEYS = ["\x03", "\x04", "\x1a", "\x1c", "\x1b[A", "\x1b[200~", "\x1b]0;title\x07", "\x1b[6n", "\r", "\n", "\x7f", "\x15", "\t", "\x00", "\xff"];
const SIZES = [0, -1, 1, 80, 500, 501, 100_000, 2 ** 31, 1e308, 1.5, "80", null, NaN] as const;

/** One frame: what a broken or hostile browser page could send. */
function frame(r: Rng): { data: Buffer | string; binary: boolean } {
  if (r.int(25) === 0) {
    // Past the WebSocket's 1 MiB message limit: the terminal closes with 1009.
    return { data: Buffer.alloc(MiB + 1 + r.int(1000), 0x61), binary: r.int(2) === 0 };
  }
  switch (r.int(7)) {
    case 0:
    case 1:
      return { data: r.bytes(1 + r.int(r.int(4) ? 200 : 64_000)), binary: true };
    case 2:
      return { data: Buffer.from(Array.from({ length: 1 + r.int(40) }, () => r.pick(KEYS)).join(""), "latin1"), binary: true };
    case 3:
      return { data: JSON.stringify({ type: "resize", cols: r.pick(SIZES), rows: r.pick(SIZES) }), binary: false };
    case 4:
      return { data: r.pick(['{"type":"resize"', "{", "null", "[]", '"resize"', '{"type":{"a":1}}', '{"__proto__":{"type":"resize"}}', "\u0000"]), binary: false };
    case 5:
      return { data: r.bytes(1 + r.int(2000)).toString("latin1"), binary: false };
    default:
      return { data: JSON.stringify({ type: r.pick(["exit", "input", "kill", "x".repeat(500)]), data: "x".repeat(r.int(10_000)) }), binary: false };
  }
}

/** A terminal sent random frames, sometimes from the first moment (while it is still opening). */
async function fuzzTerminal(r: Rng): Promise<boolean> {
  const ws = new WebSocket(url(await ticket()), { origin: "http://localhost:3000", maxPayload: 8 * MiB });
  ws.on("error", () => {});
  ws.on("message", () => {});
  const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
  await new Promise((resolve) => ws.once("open", resolve).once("error", resolve));
  const early = r.int(3) === 0;
  for (let i = 0, n = 5 + r.int(30); i < n && ws.readyState === ws.OPEN; i++) {
    const f = frame(r);
    ws.send(f.data, { binary: f.binary });
    framesSent++;
    if (!early && r.int(2)) await new Promise((res) => setTimeout(res, r.int(30)));
  }
  await Promise.race([closed, new Promise((res) => setTimeout(res, 200 + r.int(500)))]);
  const endedByGateway = ws.readyState === ws.CLOSED;
  ws.close();
  await Promise.race([closed, new Promise((res) => setTimeout(res, 2000))]);
  return endedByGateway;
}

/** A real upgrade with a real ticket, then broken WebSocket frames on the socket. */
async function brokenFrames(r: Rng): Promise<void> {
  const sock = net.connect(t.gw.ports.http, "127.0.0.1");
  sock.on("error", () => {});
  sock.resume();
  const closed = new Promise<void>((resolve) => sock.once("close", () => resolve()));
  await new Promise((resolve) => sock.once("connect", resolve));
  const key = randomBytes(16).toString("base64");
  sock.write(
    `GET /terminal?ticket=${encodeURIComponent(await ticket())} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  await new Promise((res) => setTimeout(res, 50));
  const len = r.pick([0, 1, 125, 126, 127]);
  const frames = [
    () => Buffer.concat([Buffer.from([0x82, 0x05]), r.bytes(5)]), // unmasked from a client
    () => Buffer.concat([Buffer.from([0x80 | r.pick([3, 4, 5, 6, 7, 11, 12, 13, 14, 15]), 0x80 | len]), r.bytes(4 + len)]), // reserved opcodes
    () => Buffer.concat([Buffer.from([0xf2, 0x85]), r.bytes(9)]), // reserved bits
    () => Buffer.concat([Buffer.from([0x82, 0xff]), Buffer.from([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), r.bytes(4)]), // a 2^63 length
    () => Buffer.concat([Buffer.from([0x09, 0x80 | 126, 0x01, 0x00]), r.bytes(4 + 256)]), // a fragmented, oversized ping
    () => r.bytes(1 + r.int(3000)),
  ];
  sock.write(r.pick(frames)());
  await Promise.race([closed, new Promise((res) => setTimeout(res, 1500))]);
  sock.destroy();
}

describe("[ABUSE][FUZZ][TERMINAL] random and mutated WebSocket frames after a real ticket", () => {
  it(`never disturbs a healthy terminal or the gateway (seed ${SEED}, ${SESSIONS} terminals)`, async () => {
    const r = rng(SEED);
    const healthy = new WebSocket(url(await ticket()), { origin: "http://localhost:3000" });
    let out = "";
    healthy.on("message", (d, binary) => binary && (out += d.toString()));
    const healthyClosed = new Promise<number>((resolve) => healthy.once("close", (code) => resolve(code)));
    await new Promise((resolve, reject) => healthy.once("open", resolve).once("error", reject));
    const loop = startHealthyLoop(async (i) => {
      healthy.send(Buffer.from(`healthy-${i}\r`));
      if (i % 7 === 0) healthy.send(JSON.stringify({ type: "resize", cols: 80 + (i % 40), rows: 24 }));
      const deadline = Date.now() + 10_000;
      // The terminal echoes the line, and cat prints it back.
      while (out.split(`healthy-${i}\r\n`).length < 3 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
      if (out.split(`healthy-${i}\r\n`).length < 3) return `line ${i} not echoed: ${JSON.stringify(out.slice(-200))}`;
    }, 50);
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 100);
    const started = performance.now();
    let ended = 0;
    for (let i = 0; i < SESSIONS; i += 4) {
      const batch = Array.from({ length: Math.min(4, SESSIONS - i) }, () => fuzzTerminal(r));
      batch.push(brokenFrames(r).then(() => false));
      ended += (await Promise.all(batch)).filter(Boolean).length;
    }
    const fuzzMs = performance.now() - started;
    const { runs: lines, failures } = await loop.stop();
    clearInterval(sampler);

    expect(failures).toEqual([]);
    expect(lines).toBeGreaterThan(10);
    expect(healthy.readyState).toBe(WebSocket.OPEN);
    healthy.send(Buffer.from("\x04")); // cat ends on Ctrl-D, and with it the terminal
    expect(await healthyClosed).toBe(1000);
    // No terminal session is left running behind the fuzzed sockets.
    await expect.poll(async () => (await t.gw.deps.db.select({ id: sessions.id }).from(sessions).where(eq(sessions.status, "active"))).length, { timeout: 15_000 }).toBe(0);
    const growth = (process.memoryUsage().rss - rssBefore) / MiB;
    console.log(
      `[ABUSE][FUZZ][TERMINAL] seed ${SEED}: ${SESSIONS} fuzzed terminals, ${framesSent} frames (${ended} closed by the gateway while fuzzed) and ${Math.ceil(SESSIONS / 4)} raw broken-frame clients in ${(fuzzMs / 1000).toFixed(1)} s; ` +
        `healthy terminal: ${lines} lines echoed, 0 failures; RSS ${(rssBefore / MiB).toFixed(0)} MiB before, peak ${(rssPeak / MiB).toFixed(0)}, after ${(process.memoryUsage().rss / MiB).toFixed(0)} (+${growth.toFixed(0)})`,
    );
    expect(growth).toBeLessThan(200);
  }, 120_000);
});
