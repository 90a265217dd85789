import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { sql } from "drizzle-orm";
import { tmpdir } from "node:os";
import path from "node:path";
import { once } from "node:events";
import pg from "pg";
import { startTestGateway, run, type TestGateway } from "../support/gateway-harness";
import { freePort } from "../support/free-port";
import { psqlAdmin, startPgServer, type PgServer } from "../support/pg-server";
import { startSshServer, sshClient, type SshServer } from "../support/ssh-server";
import { createNetns, type Netns } from "../support/netns";
import { openSeed, seedMasking, seedSshConnection, type Seed } from "../support/seed";
import { startMariadb, type MariadbServer } from "../support/mariadb-server";
import { mysqlCli, seedMysqlConnection } from "../support/mysql-client";
import WebSocket from "ws";

// The targets (PostgreSQL, OpenSSH, an HTTP API) run inside a network namespace on its own
// loopback: the gateway, in the root namespace, has no route to them. Only the connector, started
// inside the namespace, reaches them, and it dials out to the gateway over a veth pair.

let ns: Netns;
let gw: TestGateway;
let seed: Seed;
let target: PgServer;
let sshd: SshServer;
let maria: MariadbServer;
let upstream: ChildProcess;
let upstreamPort: number;
let key: string;
let certDir: string;
const connectors: ChildProcess[] = [];

const connectorUrl = (g: TestGateway) => `wss://${ns.hostAddr}:${g.gw.ports.http}/connector`;

function startConnector(token: string, extra: string[] = [], gateways: TestGateway[] = [gw]): { proc: ChildProcess; log: () => string; linked: Promise<void> } {
  const proc = ns.spawn(
    process.execPath,
    [path.resolve("bin/gatehouse.mjs"), "connector", ...gateways.flatMap((g) => ["--gateway", connectorUrl(g)]), "--ca", path.join(certDir, "cert.pem"), ...extra],
    { GATEHOUSE_CONNECTOR_TOKEN: token },
  );
  connectors.push(proc);
  let log = "";
  const linked = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the connector did not link:\n${log}`)), 30_000);
    proc.stderr!.on("data", (d: Buffer) => {
      log += d.toString();
      if (/linked to /.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once("exit", () => (clearTimeout(timer), reject(new Error(`the connector exited:\n${log}`))));
  });
  linked.catch(() => {});
  return { proc, log: () => log, linked };
}

const psql = (connection: string, sql: string) => gw.psql(key, connection, ["-qAtc", sql]);
const client = (connection: string) => new pg.Client({ host: "127.0.0.1", port: gw.pgPort, database: connection, user: "agent", password: key, ssl: false, connectionTimeoutMillis: 15_000 });

beforeAll(async () => {
  ns = await createNetns();
  certDir = mkdtempSync(path.join(tmpdir(), "gatehouse-conn-cert-"));
  // The gateway's certificate names the address the connector dials; the connector pins it with --ca.
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=gatehouse-test",
      "-addext",
      `subjectAltName=IP:${ns.hostAddr},IP:127.0.0.1`,
      "-keyout",
      path.join(certDir, "key.pem"),
      "-out",
      path.join(certDir, "cert.pem"),
    ],
    { stdio: "ignore" },
  );
  target = await startPgServer({ netns: ns.name });
  psqlAdmin(target, ["create role app login password 'secret'", "create database shop owner app"]);
  psqlAdmin(target, ["set role app", "create table items (id int primary key, label text)", "insert into items select g, 'item-' || g from generate_series(1, 5) g"], "shop");
  sshd = await startSshServer({ netns: ns.name });
  maria = await startMariadb({ netns: ns.name });
  await maria.admin(
    `create table items (id int primary key, label text); insert into items values (1, 'm-1'), (2, 'm-2');
     create table secrets (id int primary key, code text); insert into secrets values (1, 'SECRET-1'), (2, 'SECRET-2');
     create view secret_codes as select id, code as c from secrets;`,
    "shop",
  );
  upstreamPort = await freePort();
  upstream = ns.spawn(process.execPath, [path.resolve("e2e/connector/ns-upstream.mjs"), String(upstreamPort)]);
  await new Promise<void>((resolve) => upstream.stdout!.once("data", () => resolve()));
  gw = await startTestGateway({ GATEHOUSE_BIND: "0.0.0.0", GATEHOUSE_TLS_CERT: path.join(certDir, "cert.pem"), GATEHOUSE_TLS_KEY: path.join(certDir, "key.pem") });
  seed = openSeed(gw);
  // The targets' own addresses: 127.0.0.1 inside the namespace. From the gateway's namespace the same address is another machine's.
  await gw.cli("connections", "add", "pg-private", "--type", "postgres", "--url", `postgres://app:secret@127.0.0.1:${target.port}/shop?sslmode=disable`);
  await seedSshConnection(seed, "ssh-private", sshd);
  await seedMysqlConnection(seed, "my-private", maria, { db: "shop" });
  await seedMasking(seed, "my-private", { columns: [{ column: "secrets.code", style: "redact" }], detectors: { builtIn: [] } });
  await gw.cli("connections", "add", "api-private", "--type", "http", "--url", `http://127.0.0.1:${upstreamPort}`, "--auth", "header", "--auth-name", "X-API-Key", "--credential", "upstream-secret");
  for (const c of ["pg-private", "ssh-private", "api-private", "my-private"]) await gw.cli("grant", "ops", c);
  key = (await gw.cli("keys", "issue", "agent-edge", "--groups", "ops")).stdout.trim();
}, 120_000);

afterAll(async () => {
  for (const c of connectors) c.kill("SIGKILL");
  upstream?.kill("SIGKILL");
  await seed?.close();
  await gw?.close();
  await sshd?.stop();
  await maria?.stop();
  await target?.stop();
  await ns?.remove();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

describe("[CONNECTOR] targets in a network the gateway cannot reach", () => {
  it("psql, ssh and curl reach them through a connector that dialled out, and not without it", async () => {
    // Without the connector the gateway dials 127.0.0.1 itself: nothing of the target's is there.
    const direct = await psql("pg-private", "select 1");
    expect(direct.code).not.toBe(0);
    expect(direct.stderr).toMatch(/unreachable: connection refused/);

    expect((await gw.cli("connectors", "add", "edge")).code).toBe(0);
    const token = (await gw.cli("connectors", "token", "edge", "--ttl", "1d")).stdout.trim();
    expect(token).toMatch(/^ghc_/);
    for (const c of ["pg-private", "ssh-private"]) expect((await gw.cli("connections", "route", c, "--via", "edge")).code).toBe(0);
    // `connections add --via` routes at once (and the audit of the change names the connector).
    await gw.cli(
      "connections",
      "add",
      "api-via",
      "--type",
      "http",
      "--url",
      `http://127.0.0.1:${upstreamPort}`,
      "--auth",
      "header",
      "--auth-name",
      "X-API-Key",
      "--credential",
      "upstream-secret",
      "--via",
      "edge",
    );
    expect((await gw.cli("audit", "list", "--json")).stdout).toMatch(/"action":"cli.connections.add".*"connector":"edge"/);
    await gw.cli("connections", "route", "api-private", "--via", "edge");

    // Routed, but the connector is not running yet: the client is told so.
    const notYet = await psql("pg-private", "select 1");
    expect(notYet.stderr).toMatch(/connector edge is not connected/);

    const c1 = startConnector(token);
    await c1.linked;
    const rows = await psql("pg-private", "select string_agg(label, ',' order by id) from items");
    expect(rows.stderr).toBe("");
    expect(rows.stdout.trim()).toBe("item-1,item-2,item-3,item-4,item-5");

    const ssh = sshClient(sshd.dir, gw.gw.ports.ssh, key);
    const r = await run("ssh", [...ssh.opts, "ssh-private@127.0.0.1", "echo through-$((6*7))"], { env: ssh.env, timeoutMs: 30_000 });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("through-42\n");

    const curl = await run("curl", ["-sS", "-H", `Authorization: Bearer ${key}`, `http://127.0.0.1:${gw.gw.ports.http}/proxy/api-private/v1/things`]);
    expect(JSON.parse(curl.stdout)).toMatchObject({ path: "/v1/things", leaked: false });

    const listed = (await gw.cli("connectors", "list", "--json")).stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(listed[0]).toMatchObject({ name: "edge", state: "connected", connections: ["api-private", "api-via", "pg-private", "ssh-private"] });
    expect(listed[0].links).toHaveLength(1);
    expect(listed[0].links[0].streamsTotal).toBeGreaterThanOrEqual(0);
    const audit = (await gw.cli("audit", "list", "--json")).stdout;
    expect(audit).toContain("connector.connected");
    expect(audit).not.toContain(token);
  }, 120_000);

  it("MySQL and an HTTP WebSocket go through the connector as well", async () => {
    await gw.cli("connections", "route", "my-private", "--via", "edge");
    const r = await mysqlCli(gw.gw.ports.mysql, "my-private", key, ["shop", "-e", "select group_concat(label order by id) from items"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("m-1,m-2");
    // A view's definition is read by the gateway's own connection to the target, dialled through the
    // connector too: the view's column from secrets.code is masked, its id exact (had the definition
    // not been read, every column of the view would be masked).
    const viewed = await mysqlCli(gw.gw.ports.mysql, "my-private", key, ["shop", "-e", "select id, c from secret_codes order by id"]);
    expect(viewed.stderr).toBe("");
    expect(viewed.stdout.trim().split("\n").slice(1)).toEqual(["1\t[REDACTED]", "2\t[REDACTED]"]);

    const ws = new WebSocket(`ws://127.0.0.1:${gw.gw.ports.http}/proxy/api-private/ws`, { headers: { authorization: `Bearer ${key}` } });
    await once(ws, "open");
    const echoed = once(ws, "message");
    ws.send("through the connector");
    expect(String((await echoed)[0])).toBe("THROUGH THE CONNECTOR");
    ws.close();
  }, 60_000);

  it("a large result to a client that stops reading holds back only its own stream, all the way to the target", async () => {
    // A client that asks for ~60 MB and reads nothing: its stream's credit runs out, the connector
    // stops reading that target socket, and the target backend waits to write (ClientWrite).
    const stalled = new pg.Client({ host: "127.0.0.1", port: gw.pgPort, database: "pg-private", user: "agent", password: key, ssl: false });
    await stalled.connect();
    const raw = (stalled as unknown as { connection: { stream: import("node:net").Socket } }).connection.stream;
    const copy = stalled.query("select g, repeat('x', 200) from generate_series(1, 300000) g").catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 300));
    raw.pause();
    const other = client("pg-private");
    await other.connect();
    let waitEvent = "";
    for (let i = 0; i < 100 && waitEvent !== "ClientWrite"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      waitEvent = psqlAdmin(target, "select coalesce(string_agg(wait_event, ','), '') from pg_stat_activity where query like 'select g, repeat%' and pid <> pg_backend_pid()").trim();
    }
    expect(waitEvent).toBe("ClientWrite");
    // Beside it, on the same connector link, an interactive session goes on answering.
    for (let i = 0; i < 20; i++) expect((await other.query("select $1::int as n", [i])).rows[0].n).toBe(i);
    await other.end();
    raw.resume();
    const done = await copy;
    expect(done).not.toBeInstanceOf(Error);
    expect((done as pg.QueryResult).rowCount).toBe(300000);
    await stalled.end();
  }, 120_000);

  it("a connector killed mid-session fails only the streams it carried; another process of the connector takes new ones, and a restart links again", async () => {
    const first = connectors.find((c) => c.exitCode === null)!;
    const a = client("pg-private");
    await a.connect();
    expect((await a.query("select 1 as one")).rows[0].one).toBe(1);
    const token2 = (await gw.cli("connectors", "token", "edge")).stdout.trim();
    const second = startConnector(token2);
    await second.linked;
    // The least busy link takes the next stream: b rides on the second process.
    const b = client("pg-private");
    await b.connect();
    expect((await b.query("select 2 as two")).rows[0].two).toBe(2);

    const aError = new Promise<Error>((resolve) => a.on("error", resolve));
    first.kill("SIGKILL");
    const err = await aError;
    expect(err.message).toMatch(/the connection to the target was lost: the connector link was lost/);
    // b's stream was on the other link: untouched.
    expect((await b.query("select 3 as three")).rows[0].three).toBe(3);
    // New sessions go through the process still linked.
    const after = await psql("pg-private", "select count(*) from items");
    expect(after.stdout.trim()).toBe("5");
    await b.end();

    const restarted = startConnector(token2);
    await restarted.linked;
    second.proc.kill("SIGKILL");
    await new Promise((r) => setTimeout(r, 300));
    const viaRestarted = await psql("pg-private", "select 'again'");
    expect(viaRestarted.stdout.trim()).toBe("again");
  }, 120_000);

  it("revoking the connector's tokens drops its links at once; a revoked or forged token is refused with the reason", async () => {
    const live = connectors.filter((c) => c.exitCode === null && c.signalCode === null);
    expect(live.length).toBeGreaterThan(0);
    const sess = client("pg-private");
    await sess.connect();
    const lost = new Promise<Error>((resolve) => sess.on("error", resolve));
    expect((await gw.cli("connectors", "revoke", "edge")).stdout).toMatch(/revoked \d+ token/);
    expect((await lost).message).toMatch(/the connector's token was revoked/);
    const refused = await psql("pg-private", "select 1");
    expect(refused.stderr).toMatch(/connector edge is not connected/);
    for (const c of live) c.kill("SIGKILL");

    const forged = startConnector("ghc_" + "A".repeat(43));
    for (let i = 0; i < 100 && !/refused the link/.test(forged.log()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(forged.log()).toMatch(/refused the link: 401 the connector token is not valid/);
    forged.proc.kill("SIGKILL");
    const audit = (await gw.cli("audit", "list", "--json")).stdout;
    expect(audit).toContain("connector.refused");
    expect(audit).toContain("connector.disconnected");
  }, 120_000);

  it("a Postgres connection whose password stays with the connector: the gateway holds none and never sees it", async () => {
    const url = `postgres://app@127.0.0.1:${target.port}/shop?sslmode=prefer`;
    expect((await gw.cli("connections", "add", "pg-held", "--type", "postgres", "--url", url)).code).toBe(0);
    await gw.cli("grant", "ops", "pg-held");
    await gw.cli("connections", "route", "pg-held", "--via", "edge");
    const stored = await seed.db.execute<{ secret_enc: string | null }>(sql`select secret_enc from connections where name = 'pg-held'`);
    expect(stored.rows[0].secret_enc).toBeNull();
    const token = (await gw.cli("connectors", "token", "edge")).stdout.trim();
    const creds = path.join(certDir, "creds.json");
    writeFileSync(creds, JSON.stringify({ "pg-held": { password: "secret", target: `127.0.0.1:${target.port}` } }), { mode: 0o600 });
    const c = startConnector(token, ["--credentials", creds]);
    await c.linked;
    // SCRAM-SHA-256 (the server's scram setting), answered by the connector; sslmode=prefer asked the target for TLS first.
    const r = await psql("pg-held", "select current_user || ':' || count(*) from items");
    expect(r.stderr, c.log()).toBe("");
    expect(r.stdout.trim()).toBe("app:5");

    // The same credential is never offered to another target, whatever the gateway asks (here: its settings changed under it).
    await seed.db.execute(sql`update connections set settings = settings || jsonb_build_object('port', ${target.port + 1}::int) where name = 'pg-held'`);
    const moved = await psql("pg-held", "select 1");
    expect(moved.stderr).toMatch(/the connector's credentials for pg-held are for 127\.0\.0\.1:\d+, not 127\.0\.0\.1:\d+/);
    await seed.db.execute(sql`update connections set settings = settings || jsonb_build_object('port', ${target.port}::int) where name = 'pg-held'`);

    // A connector without the credential: the target's password request reaches the gateway, which says where it should be.
    c.proc.kill("SIGKILL");
    const bare = startConnector(token);
    await bare.linked;
    await new Promise((r) => setTimeout(r, 300));
    const none = await psql("pg-held", "select 1");
    expect(none.stderr).toMatch(/connector edge holds none for this connection/);
  }, 120_000);

  it("several gateway instances: a connector links to each, and an instance it has not reached says where it is", async () => {
    for (const c of connectors) c.kill("SIGKILL");
    const other = await startTestGateway(
      { GATEHOUSE_BIND: "0.0.0.0", GATEHOUSE_TLS_CERT: path.join(certDir, "cert.pem"), GATEHOUSE_TLS_KEY: path.join(certDir, "key.pem") },
      { shareDatabaseWith: gw },
    );
    try {
      const token = (await gw.cli("connectors", "token", "edge")).stdout.trim();
      const onlyFirst = startConnector(token);
      await onlyFirst.linked;
      await new Promise((r) => setTimeout(r, 300));
      const viaOther = await run("psql", [`host=127.0.0.1 port=${other.pgPort} dbname=pg-private user=agent sslmode=disable`, "-qAtXc", "select 1"], { env: { PGPASSWORD: key } });
      expect(viaOther.stderr).toMatch(new RegExp(`connector edge is not connected to this gateway instance \\(${other.env.GATEHOUSE_INSTANCE}\\) but to ${gw.env.GATEHOUSE_INSTANCE}`));
      onlyFirst.proc.kill("SIGKILL");

      const both = startConnector(token, [], [gw, other]);
      await both.linked;
      for (let i = 0; i < 50 && !/linked to .*linked to /s.test(both.log()); i++) await new Promise((r) => setTimeout(r, 100));
      for (const g of [gw, other]) {
        const r = await run("psql", [`host=127.0.0.1 port=${g.pgPort} dbname=pg-private user=agent sslmode=disable`, "-qAtXc", "select count(*) from items"], { env: { PGPASSWORD: key } });
        expect(r.stderr).toBe("");
        expect(r.stdout.trim()).toBe("5");
      }
      const listed = JSON.parse((await gw.cli("connectors", "list", "--json")).stdout.trim().split("\n")[0]);
      expect(new Set(listed.links.map((l: { instance: string }) => l.instance))).toEqual(new Set([gw.env.GATEHOUSE_INSTANCE, other.env.GATEHOUSE_INSTANCE]));
    } finally {
      await other.close();
    }
  }, 120_000);

  it("a token with a TTL: its link is dropped when it expires, and it is refused after", async () => {
    for (const c of connectors) c.kill("SIGKILL");
    const token = (await gw.cli("connectors", "token", "edge", "--ttl", "3s")).stdout.trim();
    const c = startConnector(token);
    await c.linked;
    for (let i = 0; i < 80 && !/link to .* lost: the connector's token expired/.test(c.log()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(c.log()).toMatch(/link to .* lost: the connector's token expired/);
    for (let i = 0; i < 100 && !/refused the link: 401 the connector token has expired/.test(c.log()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(c.log()).toMatch(/refused the link: 401 the connector token has expired/);
  }, 60_000);
});
