import { afterAll, beforeAll, describe, expect, it } from "vitest";
import net from "node:net";
import { once } from "node:events";
import pg from "pg";
import { sql } from "drizzle-orm";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { openSeed, seedTimeBoundAccess } from "../support/seed";
import { issueKey } from "../../core/identity/manage-keys";

// Two gateway instances on one shared database: the high-availability layout of DESIGN.md.
let a: TestGateway;
let b: TestGateway;
let key: string;

const jsonLines = (s: string) =>
  s
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

beforeAll(async () => {
  a = await startTestGateway();
  b = await startTestGateway({}, { shareDatabaseWith: a });
  key = await a.setupAccess({ connection: "shared", identity: "agent-ha" });
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

describe("[POSTGRES][HA] several gateway instances share one database", () => {
  it("accepts the same key on both, records both sessions, and a revocation ends the sessions on every instance", async () => {
    const clients = [a, b].map((g) => new pg.Client({ host: "127.0.0.1", port: g.pgPort, database: "shared", user: "x", password: key, application_name: "ha" }));
    const ended = clients.map((c) => new Promise<string>((resolve) => c.on("error", (e) => resolve(e.message))));
    for (const c of clients) await c.connect();
    for (const c of clients) expect((await c.query("select 'up' as s")).rows[0].s).toBe("up");

    const sessions = jsonLines((await a.cli("sessions", "list", "--json")).stdout).filter((s) => s.clientApp === "ha");
    expect(new Set(sessions.map((s) => s.gatewayInstance)).size).toBe(2);

    const revoke = await b.cli("keys", "revoke", "agent-ha");
    expect(revoke.code, revoke.stderr).toBe(0);
    const messages = await Promise.all(ended.map((p) => Promise.race([p, new Promise<string>((r) => setTimeout(() => r("still open"), 8000))])));
    for (const m of messages) expect(m).toContain("keys of this identity were revoked");

    const refused = await a.psql(key, "shared", ["-qAtc", "select 1"]);
    expect(refused.stderr).toContain("the Gatehouse key has been revoked");
  });

  it("a CancelRequest that reaches the other instance (as a load balancer may send its new connection) cancels the statement", async () => {
    const k = await a.setupAccess({ connection: "shared", identity: "agent-cancel" });
    const c = new pg.Client({ host: "127.0.0.1", port: a.pgPort, database: "shared", user: "x", password: k });
    await c.connect();
    try {
      const { processID, secretKey } = c as unknown as { processID: number; secretKey: number };
      const sleeping = c.query("select pg_sleep(30)").then(
        () => "finished",
        (e: Error & { code?: string }) => e.code,
      );
      await new Promise((r) => setTimeout(r, 300));
      const cancel = Buffer.alloc(16);
      cancel.writeInt32BE(16, 0);
      cancel.writeInt32BE(80877102, 4);
      cancel.writeInt32BE(processID, 8);
      cancel.writeInt32BE(secretKey, 12);
      const s = net.connect(b.pgPort, "127.0.0.1");
      await once(s, "connect");
      s.end(cancel);
      const outcome = await Promise.race([sleeping, new Promise((r) => setTimeout(() => r("not cancelled within 10 s"), 10_000))]);
      expect(outcome).toBe("57014");
      // The session goes on.
      expect((await c.query("select 'after' as s")).rows[0].s).toBe("after");
    } finally {
      await c.end();
    }
  });

  it("keeps target credentials out of every output and stores them encrypted", async () => {
    const list = await a.cli("connections", "list", "--json");
    expect(list.stdout).toContain('"name":"shared"');
    expect(list.stdout).not.toContain("secret");
    const c = new pg.Client({ connectionString: a.env.DATABASE_URL });
    await c.connect();
    const { rows } = await c.query("select settings::text, secret_enc from connections where name = 'shared'");
    await c.end();
    expect(rows[0].secret_enc).toMatch(/^v1\./);
    expect(rows[0].secret_enc + rows[0].settings).not.toContain("secret");
    const audit = await a.cli("audit", "list", "--json");
    expect(audit.stdout).not.toContain(":secret@");
  });

  it("closes the session rows an earlier run of the same instance left active", async () => {
    const c = new pg.Client({ connectionString: a.env.DATABASE_URL });
    await c.connect();
    const id = "00000000-0000-4000-8000-00000000c0de";
    await c.query(`insert into sessions (id, identity_name, groups, connection_name, protocol, gateway_instance) values ($1, 'ghost', '{}', 'shared', 'postgres', 'crashed-instance')`, [id]);
    const restarted = await startTestGateway({ GATEHOUSE_INSTANCE: "crashed-instance" }, { shareDatabaseWith: a });
    await restarted.close();
    const { rows } = await c.query("select status, end_reason, ended_at from sessions where id = $1", [id]);
    await c.end();
    expect(rows[0]).toMatchObject({ status: "failed", end_reason: "the gateway instance stopped before the session ended" });
    expect(rows[0].ended_at).toBeTruthy();
  });

  it("ends a live session when an admin kills it, whichever instance holds it", async () => {
    const key2 = await a.setupAccess({ connection: "shared", identity: "agent-kill" });
    const c = new pg.Client({ host: "127.0.0.1", port: b.pgPort, database: "shared", user: "x", password: key2, application_name: "to-be-killed" });
    const ended = new Promise<string>((resolve) => c.on("error", (e) => resolve(`${(e as { code?: string }).code} ${e.message}`)));
    await c.connect();
    await c.query("select 1");
    const session = jsonLines((await a.cli("sessions", "list", "--json")).stdout).find((s) => s.clientApp === "to-be-killed");
    const kill = await a.cli("sessions", "kill", session.id);
    expect(kill.code, kill.stderr).toBe(0);
    const message = await Promise.race([ended, new Promise<string>((r) => setTimeout(() => r("still open"), 8000))]);
    expect(message).toBe("57P01 terminating connection: an administrator ended this session");
    const unknown = await a.cli("sessions", "kill", "00000000-0000-4000-8000-000000000000");
    expect(unknown.code).toBe(64);
  });

  it("time-bound access: its expiry, and an early revocation, end the sessions on every instance", async () => {
    const seed = openSeed(a);
    try {
      // No group grants `shared` to this identity: only the approved, time-bound access lets it in.
      const k = (await issueKey(seed.db, { identity: "agent-jit-ha", groups: [] })).key;
      const open = async () => {
        const clients = [a, b].map((g) => new pg.Client({ host: "127.0.0.1", port: g.pgPort, database: "shared", user: "x", password: k }));
        const ended = clients.map((c) => new Promise<string>((resolve) => c.on("error", (e) => resolve(e.message))));
        for (const c of clients) await c.connect();
        for (const c of clients) expect((await c.query("select 1 as one")).rows[0].one).toBe(1);
        return Promise.all(ended.map((p) => Promise.race([p, new Promise<string>((r) => setTimeout(() => r("still open"), 10_000))])));
      };
      await seedTimeBoundAccess(seed, "agent-jit-ha", "shared", 3);
      for (const m of await open()) expect(m).toContain("the time-bound access to shared has ended");

      await seedTimeBoundAccess(seed, "agent-jit-ha", "shared", 3600);
      const ended = open();
      await new Promise((r) => setTimeout(r, 500));
      const { rows } = await seed.db.execute<{ id: string }>(
        sql`select id from access_requests where identity_name = 'agent-jit-ha' and status = 'approved' and revoked_at is null and access_expires_at > now()`,
      );
      const revoke = await b.cli("access", "revoke", rows[0].id);
      expect(revoke.code, revoke.stderr).toBe(0);
      for (const m of await ended) expect(m).toContain("the time-bound access to this connection was revoked");
    } finally {
      await seed.close();
    }
  }, 40_000);
});
