import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import net from "node:net";
import pg from "pg";
import { freePort } from "../support/free-port";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";

// A real rsyslog from Debian (rsyslog, rsyslog-gnutls) with a private configuration on free ports:
// TLS (a test CA made with openssl, octet-counted framing) and UDP inputs write what they receive
// to a file. It is stopped and started again while events keep coming: nothing may be missing.
const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-rsyslog-"));
const out = path.join(dir, "received.log");
const udpOut = path.join(dir, "received-udp.log");
let tlsPort: number;
let udpPort: number;
let rsyslog: ChildProcess | undefined;

function makeCa(): void {
  const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Gatehouse test CA");
  ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server-key.pem", "-out", "server.csr", "-subj", "/CN=localhost");
  writeFileSync(path.join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  ssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.ext");
}

async function startRsyslog(): Promise<void> {
  const conf = path.join(dir, "rsyslog.conf");
  writeFileSync(
    conf,
    `global(workDirectory="${dir}" defaultNetstreamDriverCAFile="${dir}/ca.pem" defaultNetstreamDriverCertFile="${dir}/server.pem" defaultNetstreamDriverKeyFile="${dir}/server-key.pem")
module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
input(type="imtcp" port="${tlsPort}" ruleset="received")
module(load="imudp")
input(type="imudp" port="${udpPort}" address="127.0.0.1" ruleset="udp")
template(name="fields" type="string" string="%app-name% %msgid% %pri% %msg%\\n")
ruleset(name="received") { action(type="omfile" file="${out}" template="fields") }
ruleset(name="udp") { action(type="omfile" file="${udpOut}" template="fields") }
`,
  );
  rsyslog = spawn("/usr/sbin/rsyslogd", ["-n", "-f", conf, "-i", path.join(dir, "rsyslogd.pid")], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  rsyslog.stderr!.on("data", (d) => (log += d));
  // Ready once the TLS port accepts connections.
  const deadline = Date.now() + 20_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(tlsPort, "127.0.0.1", () => (s.destroy(), resolve(true)));
      s.on("error", () => resolve(false));
    });
    if (up) return;
    if (Date.now() > deadline || rsyslog.exitCode !== null) throw new Error(`rsyslogd did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopRsyslog(): Promise<void> {
  const p = rsyslog;
  if (!p || p.exitCode !== null) return;
  const exited = new Promise((r) => p.once("exit", r));
  p.kill("SIGTERM");
  await exited;
}

type Line = { app: string; msgid: string; pri: number; event: { id: number; version: number; schema: string; activity_name: string } };
function receivedLines(file = out): Line[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, "utf8");
  // rsyslog may be writing a line as it is read: only whole lines (up to the last newline) count.
  return text
    .slice(0, text.lastIndexOf("\n") + 1)
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const [app, msgid, pri, ...rest] = l.trim().split(" ");
      return { app, msgid, pri: Number(pri), event: JSON.parse(rest.join(" ")) };
    });
}

async function storedIds(t: TestGateway): Promise<number[]> {
  const c = new pg.Client({ connectionString: t.env.DATABASE_URL });
  await c.connect();
  const { rows } = await c.query<{ id: string }>("select id from audit_events order by id");
  await c.end();
  return rows.map((r) => Number(r.id));
}

async function waitFor(check: () => boolean, ms = 40_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
}

beforeAll(async () => {
  makeCa();
  tlsPort = await freePort();
  udpPort = await freePort();
  await startRsyslog();
});
afterAll(async () => {
  await stopRsyslog();
  rmSync(dir, { recursive: true, force: true });
});

describe("[AUDIT][SIEM] syslog RFC 5424 to a real rsyslog", () => {
  it("over TLS with octet counting, through an rsyslog stop and restart, with nothing lost", async () => {
    const t = await startTestGateway({ GATEHOUSE_AUDIT_SYSLOG: `tls://127.0.0.1:${tlsPort}`, GATEHOUSE_AUDIT_SYSLOG_CA: path.join(dir, "ca.pem") });
    try {
      const key = await t.setupAccess({ connection: "syslogged", identity: "syslog-agent" });
      for (let i = 0; i < 5; i++) await t.psql(key, "syslogged", ["-qAtc", `select ${i}`]);
      let ids = await storedIds(t);
      const tlsIds = () =>
        new Set(
          receivedLines()
            .filter((l) => l.event.schema === "gatehouse.audit")
            .map((l) => l.event.id),
        );
      await waitFor(() => ids.every((id) => tlsIds().has(id)));
      expect([...tlsIds()]).toEqual(expect.arrayContaining(ids));
      const line = receivedLines().find((l) => l.event.activity_name === "statement")!;
      expect(line.app).toBe("gatehouse");
      expect(line.msgid).toBe("statement");
      expect(line.pri).toBe(13 * 8 + 6);
      expect(line.event.version).toBe(1);

      // rsyslog goes away; events keep coming; it comes back on the same port.
      await stopRsyslog();
      for (let i = 0; i < 5; i++) await t.psql(key, "syslogged", ["-qAtc", `select 100 + ${i}`]);
      await new Promise((r) => setTimeout(r, 2500));
      await startRsyslog();
      ids = await storedIds(t);
      await waitFor(() => ids.every((id) => tlsIds().has(id)));
      const missing = ids.filter((id) => !tlsIds().has(id));
      expect(missing, "events missing at rsyslog after its restart").toEqual([]);
      // At least once: a batch may arrive twice (sent as rsyslog stopped), not more.
      const counts = new Map<number, number>();
      for (const l of receivedLines()) counts.set(l.event.id, (counts.get(l.event.id) ?? 0) + 1);
      expect(Math.max(...counts.values())).toBeLessThanOrEqual(2);
    } finally {
      await t.close();
    }
  }, 240_000);

  it("over UDP", async () => {
    const t = await startTestGateway({ GATEHOUSE_AUDIT_SYSLOG: `udp://127.0.0.1:${udpPort}` });
    try {
      const key = await t.setupAccess({ connection: "udp-logged", identity: "udp-agent" });
      await t.psql(key, "udp-logged", ["-qAtc", "select 'over udp'"]);
      // The statement's event is journaled before psql sees its result, and stored in the next batch: store it first.
      await t.gw.deps.audit.flush();
      const ids = await storedIds(t);
      const got = () => receivedLines(udpOut).map((l) => l.event.id);
      const statementArrived = () => receivedLines(udpOut).some((l) => l.event.activity_name === "statement" && l.app === "gatehouse");
      await waitFor(() => ids.every((id) => got().includes(id)) && statementArrived());
      expect(got()).toEqual(expect.arrayContaining(ids));
      expect(receivedLines(udpOut).some((l) => l.event.activity_name === "statement" && l.app === "gatehouse")).toBe(true);
    } finally {
      await t.close();
    }
  }, 240_000);
});
