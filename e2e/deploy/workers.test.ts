import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { readFileSync, rmSync } from "node:fs";
import { randomBytes, X509Certificate } from "node:crypto";
import net from "node:net";
import tls from "node:tls";
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import pg from "pg";
import { gatehouse, gatewayProcessEnv, startGatewayProcess, type GatewayProcess } from "../audit/gateway-process";
import { parsePrometheusText, sampleValue } from "./prometheus-text";
import WebSocket from "ws";
import { Mux, MUX_VERSION } from "../../gateway/connector/mux";

// GATEHOUSE_WORKERS=2: `npm run gateway` as a primary with two worker processes behind the same
// ports. Real node-postgres clients land on both workers (the primary deals connections out in
// turn), and what crosses instances must cross workers: a cancel sent on a connection that another
// worker took, a kill and a key revocation from the CLI, /metrics summed over both. A worker killed
// with SIGKILL is replaced under its own name while the other worker's sessions go on.
const pgServer = inject("pg");
const id = randomBytes(4).toString("hex");
let dataDir = "";
const INSTANCE = `workers-${id}`;
const LEFTOVER = "the gateway instance stopped before the session ended";
let env: Record<string, string>;
let state: pg.Client;
let gw: GatewayProcess | undefined;
let key: string;
let pgPort: number;
let httpPort: number;
let connector: { proc: ChildProcess; log: () => string } | undefined;

beforeAll(async () => {
  ({ env, dataDir } = await gatewayProcessEnv(pgServer, { instance: INSTANCE, listen: ["pg", "http"], env: { GATEHOUSE_WORKERS: "2" } }));
  [pgPort, httpPort] = [Number(env.GATEHOUSE_PG_PORT), Number(env.GATEHOUSE_HTTP_PORT)];
  gw = await startGatewayProcess(env);
  const add = await gatehouse(env, "connections", "add", "shop", "--type", "postgres", "--url", `postgres://app:secret@127.0.0.1:${pgServer.port}/shop?sslmode=disable`);
  expect(add.code, add.stderr).toBe(0);
  expect((await gatehouse(env, "grant", "agents", "shop")).code).toBe(0);
  state = new pg.Client({ connectionString: env.DATABASE_URL });
  await state.connect();
});

afterAll(async () => {
  connector?.proc.kill();
  await gw?.stop();
  await state?.end();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const issueKey = async (identity: string) => {
  const issued = await gatehouse(env, "keys", "issue", identity, "--groups", "agents");
  expect(issued.code, issued.stderr).toBe(0);
  return issued.stdout.trim();
};

type Opened = { client: pg.Client; sessionId: string; instance: string; errors: Error[] };

/** A node-postgres session through the gateway, with the session record (and so the worker) that serves it. */
async function open(user: string, password: string): Promise<Opened> {
  const app = `w-${randomBytes(4).toString("hex")}`;
  const client = new pg.Client({ host: "127.0.0.1", port: pgPort, user, password, database: "shop", application_name: app });
  const errors: Error[] = [];
  client.on("error", (e) => errors.push(e));
  await client.connect();
  await client.query("select 1");
  const { rows } = await state.query<{ id: string; gateway_instance: string }>("select id, gateway_instance from sessions where client_app = $1", [app]);
  expect(rows).toHaveLength(1);
  return { client, sessionId: rows[0].id, instance: rows[0].gateway_instance, errors };
}

/** Opens sessions until both workers serve at least one; returns one of each (the rest are closed). */
async function onBothWorkers(user: string, password: string): Promise<[Opened, Opened]> {
  const byInstance = new Map<string, Opened>();
  for (let i = 0; i < 8 && byInstance.size < 2; i++) {
    const o = await open(user, password);
    if (byInstance.has(o.instance)) await o.client.end();
    else byInstance.set(o.instance, o);
  }
  expect([...byInstance.keys()].sort()).toEqual([`${INSTANCE}#1`, `${INSTANCE}#2`]);
  return [byInstance.get(`${INSTANCE}#1`)!, byInstance.get(`${INSTANCE}#2`)!];
}

/** A CancelRequest for a session's key, on a connection of its own (the primary gives it to whichever worker is next). */
function sendCancel(client: pg.Client): Promise<void> {
  const c = client as unknown as { processID: number; secretKey: number };
  const msg = Buffer.alloc(16);
  msg.writeInt32BE(16, 0);
  msg.writeInt32BE(80877102, 4);
  msg.writeInt32BE(c.processID, 8);
  msg.writeInt32BE(c.secretKey, 12);
  return new Promise((resolve, reject) => {
    const s = net.connect(pgPort, "127.0.0.1", () => s.end(msg));
    s.on("error", reject);
    s.on("close", () => resolve());
  });
}

/** Waits until the condition holds (a kill or a restart takes effect asynchronously). */
async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms = 45_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("GATEHOUSE_WORKERS=2", () => {
  it("says it is ready once, after both workers listen, and serves sessions from both workers", async () => {
    expect(gw!.log().match(/gateway ready/g)).toHaveLength(1);
    expect(gw!.log()).toMatch(/gateway ready: .*\(2 workers, instances workers-\w+#1 to workers-\w+#2\)/);
    key = await issueKey("spread");
    const sessions = await onBothWorkers("spread", key);
    for (const s of sessions) expect((await s.client.query("select current_user as u")).rows).toEqual([{ u: "app" }]);
    await Promise.all(sessions.map((s) => s.client.end()));
    // Each worker is a gateway instance of its own: its own lease in the shared database.
    const { rows } = await state.query<{ instance: string }>("select instance from gateway_instances where instance like $1 order by instance", [`${INSTANCE}#%`]);
    expect(rows.map((r) => r.instance)).toEqual([`${INSTANCE}#1`, `${INSTANCE}#2`]);
  });

  it("presents one certificate from both workers: the primary made the self-signed one before forking them", async () => {
    const fingerprint = () =>
      new Promise<string>((resolve, reject) => {
        const s = tls.connect({ host: "127.0.0.1", port: httpPort, rejectUnauthorized: false }, () => {
          resolve(s.getPeerCertificate().fingerprint256);
          s.destroy();
        });
        s.on("error", reject);
      });
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add(await fingerprint());
    expect([...seen]).toEqual([new X509Certificate(readFileSync(path.join(dataDir, "tls-cert.pem"))).fingerprint256]);
  });

  it("cancels a running statement whichever worker the cancel connection lands on", async () => {
    const [a, b] = await onBothWorkers("spread", key);
    // Two rounds, with one connection between them, so that each session's cancel lands once on the
    // other worker as the primary deals connections out in turn.
    for (let round = 0; round < 2; round++) {
      for (const s of [a, b]) {
        const running = s.client.query("select pg_sleep(30)").then(
          () => null,
          (e: Error & { code?: string }) => e,
        );
        await until("the statement to run", async () => (await state.query("select 1 from pg_stat_activity where query = 'select pg_sleep(30)' and state = 'active'")).rows.length > 0);
        const sent = Date.now();
        await sendCancel(s.client);
        const err = await running;
        expect(err?.code, `round ${round}, ${s.instance}`).toBe("57014");
        expect(Date.now() - sent).toBeLessThan(10_000);
        expect((await s.client.query("select 2 as n")).rows).toEqual([{ n: 2 }]);
      }
      await new Promise<void>((resolve) =>
        net.connect(pgPort, "127.0.0.1").once("connect", function (this: net.Socket) {
          this.destroy();
          resolve();
        }),
      );
    }
    await Promise.all([a, b].map((s) => s.client.end()));
  });

  it("ends a session on either worker from the CLI (kill) and both at once when the key is revoked", async () => {
    const killKey = await issueKey("killed");
    const [a, b] = await onBothWorkers("killed", killKey);
    for (const s of [a, b]) {
      const r = await gatehouse(env, "sessions", "kill", s.sessionId);
      expect(r.code, r.stderr).toBe(0);
      await until(
        `${s.instance}'s session to end`,
        async () =>
          s.errors.length > 0 ||
          (await s.client.query("select 1").then(
            () => false,
            () => true,
          )),
      );
    }
    const revokedKey = await issueKey("revoked");
    const [c, d] = await onBothWorkers("revoked", revokedKey);
    const r = await gatehouse(env, "keys", "revoke", "revoked");
    expect(r.code, r.stderr).toBe(0);
    for (const s of [c, d])
      await until(
        `${s.instance}'s session to end on revocation`,
        async () =>
          s.errors.length > 0 ||
          (await s.client.query("select 1").then(
            () => false,
            () => true,
          )),
      );
    const { rows } = await state.query<{ ended: number }>("select count(*)::int as ended from sessions where id = any($1) and ended_at is not null", [[a, b, c, d].map((s) => s.sessionId)]);
    expect(rows[0].ended).toBe(4);
  });

  it("/metrics sums both workers", async () => {
    const scrape = async () => parsePrometheusText(await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text());
    const { rows } = await state.query<{ n: number }>("select count(*)::int as n from sessions where protocol = 'postgres'");
    // Whichever worker answers the scrape, the count is every session both have opened.
    for (let i = 0; i < 4; i++) expect(sampleValue(await scrape(), "gatehouse_sessions_opened_total", { protocol: "postgres" })).toBe(rows[0].n);
  });

  it("serves connections routed through a connector from either worker: the connector keeps a link to each", async () => {
    expect((await gatehouse(env, "connectors", "add", "edge")).code).toBe(0);
    const token = (await gatehouse(env, "connectors", "token", "edge")).stdout.trim();
    expect(token).toMatch(/^ghc_/);
    const add = await gatehouse(env, "connections", "add", "shop-edge", "--type", "postgres", "--url", `postgres://app:secret@127.0.0.1:${pgServer.port}/shop?sslmode=disable`, "--via", "edge");
    expect(add.code, add.stderr).toBe(0);
    expect((await gatehouse(env, "grant", "agents", "shop-edge")).code).toBe(0);
    // The connector is given the gateway's one address; the workers behind it take its links in turn.
    const proc = spawn(process.execPath, ["bin/gatehouse.mjs", "connector", "--gateway", `wss://127.0.0.1:${httpPort}/connector`, "--ca", path.join(dataDir, "tls-cert.pem")], {
      env: { ...process.env, GATEHOUSE_CONNECTOR_TOKEN: token },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let log = "";
    proc.stderr!.on("data", (d: Buffer) => (log += d));
    connector = { proc, log: () => log };
    const linkedTo = () => [...log.matchAll(/linked to \S+ as connector edge \(gateway instance (\S+?)[;)]/g)].map((m) => m[1]);
    await until("the connector to link to both workers", async () => linkedTo().length >= 2, 30_000);
    expect(linkedTo().sort()).toEqual([`${INSTANCE}#1`, `${INSTANCE}#2`]);
    expect(log).toMatch(/2 of its 2 workers linked/);
    // Sessions of the routed connection, on both workers, reach the target through the connector's links.
    const edgeKey = await issueKey("edge-user");
    const byInstance = new Map<string, pg.Client>();
    for (let i = 0; i < 8 && byInstance.size < 2; i++) {
      const app = `e-${randomBytes(4).toString("hex")}`;
      const client = new pg.Client({ host: "127.0.0.1", port: pgPort, user: "edge-user", password: edgeKey, database: "shop-edge", application_name: app });
      await client.connect();
      expect((await client.query("select current_user as u")).rows).toEqual([{ u: "app" }]);
      const { rows } = await state.query<{ gateway_instance: string }>("select gateway_instance from sessions where client_app = $1", [app]);
      byInstance.set(rows[0].gateway_instance, client);
    }
    expect([...byInstance.keys()].sort()).toEqual([`${INSTANCE}#1`, `${INSTANCE}#2`]);
    await Promise.all([...byInstance.values()].map((c) => c.end()));
    // Each worker recorded the link it holds (the console's connectors page reads these).
    const { rows } = await state.query<{ instance: string }>("select l.instance from connector_links l where l.disconnected_at is null order by l.instance");
    expect(rows.map((r) => r.instance)).toEqual([`${INSTANCE}#1`, `${INSTANCE}#2`]);

    // A link whose hello names the instance it lands on is declined at once, and never recorded.
    const ws = new WebSocket(`wss://127.0.0.1:${httpPort}/connector`, { headers: { authorization: `Bearer ${token}` }, ca: readFileSync(path.join(dataDir, "tls-cert.pem")) });
    const mux = new Mux(ws, "connector");
    const welcome = new Promise<{ instance: string; workers: number; duplicate?: boolean }>((resolve) => mux.once("welcome", resolve));
    const closed = new Promise<string>((resolve) => mux.once("close", resolve));
    ws.once("open", () => mux.hello("hello", { version: "test", hostname: "test", mux: MUX_VERSION, have: [`${INSTANCE}#1`, `${INSTANCE}#2`] }));
    const w = await welcome;
    expect(w).toMatchObject({ workers: 2, duplicate: true });
    expect(await closed).toBe(`this connector already has a link to gateway instance ${w.instance}`);
    const after = await state.query("select 1 from connector_links where disconnected_at is null");
    expect(after.rows).toHaveLength(2);
  });

  it("replaces a worker killed with SIGKILL under its name; the other worker's sessions go on", async () => {
    const [a, b] = await onBothWorkers("spread", key);
    const lease = async (instance: string) => (await state.query<{ pid: number }>("select pid from gateway_instances where instance = $1", [instance])).rows[0]?.pid;
    const opened = async () => sampleValue(parsePrometheusText(await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text()), "gatehouse_sessions_opened_total", { protocol: "postgres" });
    const openedBefore = await opened();
    const victim = await lease(a.instance);
    process.kill(victim, "SIGKILL");
    await until(
      "the killed worker's client to see its connection go",
      async () =>
        a.errors.length > 0 ||
        (await a.client.query("select 1").then(
          () => false,
          () => true,
        )),
    );
    // The other worker never noticed.
    for (let i = 0; i < 5; i++) expect((await b.client.query("select $1::int as n", [i])).rows).toEqual([{ n: i }]);
    // Replaced under the same name, which closes the record its predecessor left open, with its end event.
    const replacement = await until("a new worker with the killed one's name", async () => {
      const pid = await lease(a.instance);
      return pid && pid !== victim ? pid : undefined;
    });
    expect(replacement).not.toBe(victim);
    const ended = await until("the cut session's record to be closed", async () => {
      const { rows } = await state.query<{ end_reason: string | null }>("select end_reason from sessions where id = $1 and ended_at is not null", [a.sessionId]);
      return rows[0];
    });
    expect(ended.end_reason).toBe(LEFTOVER);
    // The record is closed first, then its end event is stored.
    const ends = await until("the cut session's session.end event", async () => {
      const { rows } = await state.query("select 1 from audit_events where session_id = $1 and action = 'session.end'", [a.sessionId]);
      return rows.length ? rows : undefined;
    });
    expect(ends).toHaveLength(1);
    await until("the primary to say the worker serves again", async () => /is serving again/.test(gw!.log()));
    // The summed counter does not go down with the dead worker (Prometheus would take that for a reset).
    expect(await opened()).toBe(openedBefore);
    // Both workers take sessions again.
    const again = await onBothWorkers("spread", key);
    // The connector's link to the killed worker dropped with it; it links to the replacement, declined by the other worker meanwhile.
    if (connector) {
      const log = connector.log;
      expect(log()).toMatch(new RegExp(`link to \\S+ \\(gateway instance ${a.instance}\\) lost`));
      await until(
        "the connector to link to the replacement",
        async () =>
          log()
            .split(/link to \S+ \(gateway instance \S+\) lost/)
            .at(-1)!
            .includes(`(gateway instance ${a.instance};`),
        60_000,
      );
      const { rows } = await state.query<{ instance: string }>("select l.instance from connector_links l where l.disconnected_at is null order by l.instance");
      expect(rows.map((r) => r.instance)).toEqual([`${INSTANCE}#1`, `${INSTANCE}#2`]);
    }
    await Promise.all([b, ...again].map((s) => s.client.end()));
    await a.client.end().catch(() => {});
  }, 150_000);

  it("stops every worker on SIGTERM and exits 0", async () => {
    const pids = (await state.query<{ pid: number }>("select pid from gateway_instances where instance like $1", [`${INSTANCE}#%`])).rows.map((r) => r.pid);
    expect(pids).toHaveLength(2);
    const exited = new Promise<number | null>((resolve) => gw!.proc.once("exit", (code) => resolve(code)));
    gw!.proc.kill("SIGTERM");
    expect(await exited).toBe(0);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    // Each worker released its lease as it stopped.
    const { rows } = await state.query("select 1 from gateway_instances where instance like $1", [`${INSTANCE}#%`]);
    expect(rows).toHaveLength(0);
    gw = undefined;
  });

  it("stops every worker and exits 1, saying why, when the workers cannot listen", async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      await expect(startGatewayProcess({ ...env, GATEHOUSE_PG_PORT: String(port), GATEHOUSE_INSTANCE: `${INSTANCE}-b` })).rejects.toThrow(
        new RegExp(`exited \\(1\\)[\\s\\S]*EADDRINUSE 127\\.0\\.0\\.1:${port}[\\s\\S]*stopped before the gateway was ready`),
      );
    } finally {
      taken.close();
    }
  });
});
