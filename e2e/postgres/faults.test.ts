import { afterAll, beforeAll, describe, expect, it } from "vitest";
import net from "node:net";
import pg from "pg";
import { sql } from "drizzle-orm";
import { serialize } from "pg-protocol";
import { RawPgClient } from "../support/raw-pg-client";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { freePort } from "../support/free-port";
import { psqlAdmin, startPgServer, type PgServer } from "../support/pg-server";

let t: TestGateway;
let key: string;
let flaky: PgServer;

const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

beforeAll(async () => {
  t = await startTestGateway({ GATEHOUSE_MAX_MESSAGE_BYTES: String(1024 * 1024) });
  key = await t.setupAccess({ connection: "steady" });
  // A second target that this file takes down mid-session.
  flaky = await startPgServer();
  psqlAdmin(flaky, ["create role app login password 'secret'", "create database shop owner app"]);
  await t.cli("connections", "add", "flaky", "--type", "postgres", "--url", `postgres://app:secret@127.0.0.1:${flaky.port}/shop?sslmode=disable`);
  await t.cli("grant", "analysts", "flaky");
  await t.cli("connections", "add", "nowhere", "--type", "postgres", "--url", `postgres://app:secret@127.0.0.1:${await freePort()}/shop?sslmode=disable`);
  await t.cli("grant", "analysts", "nowhere");
});
afterAll(async () => {
  await t?.close();
  await flaky?.stop();
});

async function stillServes() {
  const r = await t.psql(key, "steady", ["-qAtc", "select 'alive'"]);
  expect(r.stdout.trim()).toBe("alive");
}

describe("[POSTGRES][FAULTS] bad input and failing targets", () => {
  it("refuses a connection whose target is down with 08006 and a message that names it", async () => {
    const c = await RawPgClient.connect(t.pgPort);
    const err = await c.login("nowhere", key);
    expect(err).toMatchObject({ name: "error", code: "08006", severity: "FATAL" });
    expect(err.message).toContain('the target of connection "nowhere" is unreachable: connection refused');
    await t.gw.deps.audit.flush();
    const audit = (await t.cli("audit", "list", "--json")).stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    // The CLI's own cli.* events name the connection too: the refusal is the session event.
    expect(audit.find((e) => e.connectionName === "nowhere" && e.action.startsWith("session."))).toMatchObject({ action: "session.failed", outcome: "error", identityName: "agent-7" });
    await stillServes();
  });

  it("refuses a connection whose stored settings its type cannot use with 57P03 naming the setting, and keeps others", async () => {
    await t.setupAccess({ connection: "mangled" });
    // Settings written by hand (or another release): the port is not a number.
    await t.gw.deps.db.execute(sql`update connections set settings = jsonb_set(settings, '{port}', '"not-a-port"') where name = 'mangled'`);
    const c = await RawPgClient.connect(t.pgPort);
    const err = await c.login("mangled", key);
    expect(err).toMatchObject({ name: "error", code: "57P03", severity: "FATAL" });
    expect(err.message).toMatch(/^connection "mangled" cannot be served: .*port/);
    c.end();
    await stillServes();
  });

  it("ends the session with a clear error when the target goes down mid-session, and keeps others", async () => {
    const c = new pg.Client({ host: "127.0.0.1", port: t.pgPort, database: "flaky", user: "x", password: key });
    await c.connect();
    const errors: Error[] = [];
    c.on("error", (e) => errors.push(e));
    expect((await c.query("select 1 as one")).rows[0].one).toBe(1);
    const running = c.query("select pg_sleep(20)").catch((e) => e);
    await new Promise((r) => setTimeout(r, 300));
    await flaky.stop();
    const failure = await running;
    expect(failure).toBeInstanceOf(Error);
    expect(String(failure.message)).toMatch(/terminating connection|target closed the connection|Connection terminated/);
    await stillServes();
  });

  it("ends a session that sends a message with an impossible length with 08P01, and keeps others", async () => {
    const c = await RawPgClient.connect(t.pgPort);
    expect((await c.login("steady", key)).name).toBe("readyForQuery");
    c.send(Buffer.concat([Buffer.from("Q"), int32(2)]));
    const err = await c.waitFor((m) => m.name === "error");
    expect(err).toMatchObject({ code: "08P01", message: "invalid message length 2" });
    await c.waitClosed();
    expect(c.closed).toBe(true);
    await stillServes();
  });

  it("refuses an oversized message before buffering it", async () => {
    const c = await RawPgClient.connect(t.pgPort);
    await c.login("steady", key);
    c.send(Buffer.concat([Buffer.from("Q"), int32(50 * 1024 * 1024)]));
    const err = await c.waitFor((m) => m.name === "error");
    expect(err.code).toBe("08P01");
    expect(err.message).toContain("exceeds the gateway limit of 1048576");
    await stillServes();
  });

  it("survives random bytes and well-framed garbage from many sessions at once", async () => {
    const { randomBytes } = await import("node:crypto");
    const clients = await Promise.all(Array.from({ length: 6 }, () => RawPgClient.connect(t.pgPort)));
    for (const c of clients) expect((await c.login("steady", key)).name).toBe("readyForQuery");
    clients.forEach((c, i) => {
      if (i % 2 === 0) return c.send(randomBytes(65_536));
      // Framed correctly, but with random types and bodies: the target judges them, the gateway must not fall over.
      for (let n = 0; n < 50; n++) {
        const body = randomBytes(1 + (n % 40));
        c.send(Buffer.concat([Buffer.from([0x41 + (n % 26)]), int32(4 + body.length), body]));
      }
    });
    await Promise.all(clients.map((c) => c.waitFor((m) => m.name === "error", 10_000).catch(() => undefined)));
    clients.forEach((c) => c.end());
    await stillServes();
  });

  it("never runs a statement sent before authentication", async () => {
    const c = await RawPgClient.connect(t.pgPort);
    c.send(serialize.startup({ user: "raw", database: "steady" }));
    await c.waitFor((m) => m.name === "authenticationCleartextPassword");
    const query = Buffer.from("create table pwned (x int)\0");
    c.send(Buffer.concat([Buffer.from("Q"), int32(4 + query.length), query]));
    const err = await c.waitFor((m) => m.name === "error");
    expect(err).toMatchObject({ code: "08P01", message: "expected a password message" });
    const check = await t.psql(key, "steady", ["-qAtc", "select to_regclass('pwned') is null"]);
    expect(check.stdout.trim()).toBe("t");
  });

  it("answers garbage start-up packets with protocol errors", async () => {
    for (const packet of [Buffer.concat([int32(8), int32(1234)]), Buffer.concat([int32(100_000), int32(196608)]), Buffer.concat([int32(3)])]) {
      const c = await RawPgClient.connect(t.pgPort);
      c.send(packet);
      const err = await c.waitFor((m) => m.name === "error" || m.name === "closed");
      expect(err.name).toBe("error");
      expect(["08P01", "0A000"]).toContain(err.code);
      c.end();
    }
    await stillServes();
  });

  it("answers a client asking for protocol 3.2 with NegotiateProtocolVersion 3.0 before authentication", async () => {
    const socket = net.connect({ host: "127.0.0.1", port: t.pgPort });
    await new Promise((r) => socket.once("connect", r));
    let received = Buffer.alloc(0);
    socket.on("data", (d) => (received = Buffer.concat([received, d])));
    const params = Buffer.from("user\0raw\0database\0steady\0_pq_.test_option\0on\0\0");
    socket.write(Buffer.concat([int32(8 + params.length), int32((3 << 16) | 2), params]));
    await new Promise((r) => setTimeout(r, 500));
    socket.destroy();
    expect(String.fromCharCode(received[0])).toBe("v");
    expect(received.readInt32BE(5)).toBe(0); // newest minor version supported: 3.0
    expect(received.readInt32BE(9)).toBe(1); // one option not recognised
    expect(received.toString("latin1")).toContain("_pq_.test_option");
    const next = 1 + received.readInt32BE(1);
    expect(String.fromCharCode(received[next])).toBe("R"); // then the password request
  });

  it("refuses data pipelined after SSLRequest (it would bypass TLS)", async () => {
    const socket = net.connect({ host: "127.0.0.1", port: t.pgPort });
    await new Promise((r) => socket.once("connect", r));
    const chunks: Buffer[] = [];
    socket.on("data", (d) => chunks.push(d));
    socket.write(Buffer.concat([int32(8), int32(80877103), int32(8), int32(196608)]));
    await new Promise((r) => socket.once("close", r));
    expect(Buffer.concat(chunks).toString("latin1")).toContain("unexpected data after SSLRequest");
  });

  it("speaks TLS when the client asks for it (sslmode=require)", async () => {
    const { run } = await import("../support/gateway-harness");
    const r = await run("psql", [`host=127.0.0.1 port=${t.pgPort} dbname=steady user=x sslmode=require`, "-X", "-qAtc", "select 'over tls'"], { env: { PGPASSWORD: key } });
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("over tls");
  });
});
