import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import pg from "pg";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { psqlAdmin } from "../support/pg-server";
import { parsePrometheusText, sampleValue } from "./prometheus-text";
import { forgedKey, openSeed, seedPolicy } from "../support/seed";

// /healthz, /readyz and /metrics on the gateway's HTTP port, against a gateway on its own private
// database in the run's PostgreSQL: readiness is broken for real (the database refuses connections
// and the gateway's are terminated), and the counters are read after real psql sessions.
let t: TestGateway;
let key: string;
let dbName: string;
const base = () => `http://127.0.0.1:${t.gw.ports.http}`;
const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base()}${path}`, { headers, signal: AbortSignal.timeout(10_000) });
const scrape = async () => parsePrometheusText(await (await get("/metrics")).text());

beforeAll(async () => {
  t = await startTestGateway({ GATEHOUSE_READY_DB_TIMEOUT_MS: "1500" });
  dbName = new URL(t.env.DATABASE_URL).pathname.slice(1);
  key = await t.setupAccess();
});

afterAll(async () => {
  // Whatever a failed test left: the database takes connections again before the gateway closes.
  psqlAdmin(inject("pg"), `alter database ${dbName} with allow_connections true`);
  await t?.close();
});

describe("health and readiness", () => {
  it("/healthz answers 200 with nothing but a status", async () => {
    const res = await get("/healthz");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    expect(await res.json()).toEqual({ status: "ok" });
    expect((await fetch(`${base()}/healthz`, { method: "POST" })).status).toBe(405);
  });

  it("/readyz is 200 with the database and every listener up", async () => {
    const res = await get("/readyz");
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toEqual({ status: "ready", checks: { database: "ok", listeners: { postgres: true, mysql: true, ssh: true, http: true } }, notReady: [] });
    // Unauthenticated: it names checks, never the database's address or the driver's error.
    expect(JSON.stringify(body)).not.toContain(dbName);
  });

  it("/readyz turns 503 naming the database when the gateway's database refuses it, and 200 again when it is back", async () => {
    const server = inject("pg");
    // The gateway's database stops taking connections and the ones it holds are terminated.
    psqlAdmin(server, [`alter database ${dbName} with allow_connections false`, `select count(pg_terminate_backend(pid)) from pg_stat_activity where datname = '${dbName}'`]);
    const down = await get("/readyz");
    expect(down.status).toBe(503);
    const body = await down.json();
    expect(body.status).toBe("not ready");
    expect(body.checks.database).toBe("unreachable");
    expect(body.notReady).toEqual(["database (unreachable)"]);
    expect(JSON.stringify(body)).not.toMatch(new RegExp(`${dbName}|postgres://|does not allow`));
    // Liveness does not depend on the database: the process is fine, only not ready.
    expect((await get("/healthz")).status).toBe(200);

    psqlAdmin(server, `alter database ${dbName} with allow_connections true`);
    const deadline = Date.now() + 20_000;
    let status = 0;
    while (Date.now() < deadline && (status = (await get("/readyz")).status) !== 200) await new Promise((r) => setTimeout(r, 200));
    expect(status).toBe(200);
  });
});

describe("metrics", () => {
  it("is valid Prometheus text with every family Gatehouse documents", async () => {
    const res = await get("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = parsePrometheusText(await res.text());
    const types = Object.fromEntries([...families.values()].map((f) => [f.name, f.type]));
    expect(types).toEqual({
      gatehouse_sessions_active: "gauge",
      gatehouse_sessions_opened_total: "counter",
      gatehouse_sessions_ended_total: "counter",
      gatehouse_statements_total: "counter",
      gatehouse_reviews_total: "counter",
      gatehouse_refusals_total: "counter",
      gatehouse_statement_duration_seconds: "histogram",
      gatehouse_audit_backlog_events: "gauge",
      gatehouse_audit_dropped_from_memory_events: "gauge",
      gatehouse_audit_shipments_total: "counter",
      gatehouse_audit_stored_events_total: "counter",
    });
    for (const f of families.values()) expect(f.help.length, f.name).toBeGreaterThan(10);
    expect(sampleValue(families, "gatehouse_audit_backlog_events", { stage: "store" })).toBeGreaterThanOrEqual(0);
  });

  it("counts a real psql session: opened, ended, statements by outcome, their durations", async () => {
    const before = await scrape();
    const r = await t.psql(key, "pg-prod", ["-c", "select 1", "-c", "select 2", "-c", "select * from no_such_table"]);
    expect(r.stderr).toMatch(/no_such_table/);
    // psql has exited; the gateway ends the session when it sees the socket close, a moment later.
    let after = await scrape();
    for (const deadline = Date.now() + 5000; Date.now() < deadline && sampleValue(after, "gatehouse_sessions_active", { protocol: "postgres" }) !== 0;) {
      await new Promise((r) => setTimeout(r, 50));
      after = await scrape();
    }
    const delta = (name: string, labels: Record<string, string>) => sampleValue(after, name, labels) - sampleValue(before, name, labels);
    expect(delta("gatehouse_sessions_opened_total", { protocol: "postgres" })).toBe(1);
    expect(delta("gatehouse_sessions_ended_total", { protocol: "postgres" })).toBe(1);
    expect(delta("gatehouse_statements_total", { protocol: "postgres", action: "statement", outcome: "ok" })).toBe(2);
    expect(delta("gatehouse_statements_total", { protocol: "postgres", action: "statement", outcome: "error" })).toBe(1);
    expect(delta("gatehouse_statement_duration_seconds_count", { protocol: "postgres" })).toBe(3);
    expect(delta("gatehouse_statement_duration_seconds_bucket", { protocol: "postgres", le: "+Inf" })).toBe(3);
    expect(sampleValue(after, "gatehouse_sessions_active", { protocol: "postgres" })).toBe(0);
    // The session's five events (its start, three statements, its end) reach the database within a few shipments.
    for (const deadline = Date.now() + 5000; Date.now() < deadline && delta("gatehouse_audit_stored_events_total", {}) < 5;) {
      await new Promise((r) => setTimeout(r, 50));
      after = await scrape();
    }
    expect(delta("gatehouse_audit_stored_events_total", {})).toBeGreaterThanOrEqual(5);
    expect(delta("gatehouse_audit_shipments_total", {})).toBeGreaterThanOrEqual(1);
    expect(delta("gatehouse_audit_shipments_total", {})).toBeLessThanOrEqual(delta("gatehouse_audit_stored_events_total", {}));
  });

  it("shows a live session in the active gauge while it is open", async () => {
    const client = new pg.Client({ host: "127.0.0.1", port: t.pgPort, database: "pg-prod", user: "agent", password: key, ssl: false });
    await client.connect();
    try {
      await client.query("select 1");
      expect(sampleValue(await scrape(), "gatehouse_sessions_active", { protocol: "postgres" })).toBe(1);
    } finally {
      await client.end();
    }
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && sampleValue(await scrape(), "gatehouse_sessions_active", { protocol: "postgres" }) !== 0) await new Promise((r) => setTimeout(r, 50));
    expect(sampleValue(await scrape(), "gatehouse_sessions_active", { protocol: "postgres" })).toBe(0);
  });

  it("counts refusals by protocol and reason, and denied statements", async () => {
    const seed = openSeed(t);
    await seedPolicy(seed, "pg-prod", { defaultAction: "allow", rules: [{ name: "no-drops", action: "deny", match: { kinds: ["DROP"] } }] });
    await seed.close();
    // Every instance reloads a changed policy from the bus: wait for this one to have it.
    await new Promise((r) => setTimeout(r, 1500));
    const before = await scrape();
    const wrong = await t.psql(forgedKey(), "pg-prod", ["-c", "select 1"]);
    expect(wrong.code).not.toBe(0);
    const ungranted = await t.psql(key, "not-granted", ["-c", "select 1"]);
    expect(ungranted.code).not.toBe(0);
    const denied = await t.psql(key, "pg-prod", ["-c", "drop table if exists nothing_here"]);
    expect(denied.stderr).toMatch(/no-drops/);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => sampleValue(after, name, labels) - sampleValue(before, name, labels);
    expect(delta("gatehouse_refusals_total", { protocol: "postgres", reason: "unauthenticated" })).toBe(1);
    expect(delta("gatehouse_refusals_total", { protocol: "postgres", reason: "forbidden" })).toBe(1);
    expect(delta("gatehouse_statements_total", { protocol: "postgres", action: "statement", outcome: "denied" })).toBe(1);
  });
});

describe("metrics behind a token", () => {
  let locked: TestGateway;
  beforeAll(async () => {
    locked = await startTestGateway({ GATEHOUSE_METRICS_TOKEN: "metrics-token-0123456789" });
  });
  afterAll(async () => locked?.close());

  it("asks for the bearer token on /metrics only", async () => {
    const url = (p: string) => `http://127.0.0.1:${locked.gw.ports.http}${p}`;
    const none = await fetch(url("/metrics"));
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await fetch(url("/metrics"), { headers: { authorization: "Bearer wrong-token-0123456789" } })).status).toBe(401);
    const ok = await fetch(url("/metrics"), { headers: { authorization: "Bearer metrics-token-0123456789" } });
    expect(ok.status).toBe(200);
    expect(parsePrometheusText(await ok.text()).has("gatehouse_sessions_active")).toBe(true);
    expect((await fetch(url("/healthz"))).status).toBe(200);
    expect((await fetch(url("/readyz"))).status).toBe(200);
  });
});
