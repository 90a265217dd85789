import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";

let t: TestGateway;
let key: string;

const jsonLines = (s: string) =>
  s
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

async function auditOf(sessionId: string) {
  await t.gw.deps.audit.flush();
  const r = await t.cli("audit", "list", "--json", "--session", sessionId);
  expect(r.code, r.stderr).toBe(0);
  return jsonLines(r.stdout);
}

beforeAll(async () => {
  t = await startTestGateway();
  key = await t.setupAccess({ connection: "audited", identity: "agent-audit", group: "auditors-test" });
});
afterAll(() => t?.close());

describe("[POSTGRES][AUDIT] one audit event per statement, one record per session", () => {
  it("never stores the password a statement carries (a role's, a connection string's)", async () => {
    const c = new pg.Client({ host: "127.0.0.1", port: t.pgPort, database: "audited", user: "agent", password: key, application_name: "secret-probe" });
    await c.connect();
    // Both fail on the target (no such role; no dblink): what matters is what their events keep.
    await c.query("alter role gatehouse_no_such_role password 'hunter2-role'").catch(() => {});
    await c.query("select dblink_connect('postgres://app:hunter2-url@db/shop')").catch(() => {});
    await c.end();
    await new Promise((r) => setTimeout(r, 300));
    const sessions = jsonLines((await t.cli("sessions", "list", "--json")).stdout);
    const events = await auditOf(sessions.find((s) => s.clientApp === "secret-probe").id);
    const statements = events.filter((e) => e.action === "statement").map((e) => e.statement);
    expect(statements).toEqual(["alter role gatehouse_no_such_role password '[redacted]'", "select dblink_connect('postgres://app:[redacted]@db/shop')"]);
    expect(JSON.stringify(events)).not.toContain("hunter2");
  });

  it("splits a multi-statement query and records kind, rows, duration and SQLSTATE of each statement", async () => {
    const c = new pg.Client({ host: "127.0.0.1", port: t.pgPort, database: "audited", user: "agent", password: key, application_name: "audit-probe" });
    await c.connect();
    const { rows } = await c.query("select current_setting('application_name') as a");
    expect(rows[0].a).toBe("audit-probe");
    await c.query("create temp table a1 (x int); insert into a1 select generate_series(1, 42); select * from a1 where x > 40");
    await c.query("update a1 set x = x + 1 where x < 10; select 1/0; select 'never runs'").catch(() => {});
    await c.query({ text: "select $1::int * 2 as doubled", values: [21] });
    await c.end();
    await new Promise((r) => setTimeout(r, 300));

    const sessions = jsonLines((await t.cli("sessions", "list", "--json")).stdout);
    const session = sessions.find((s) => s.clientApp === "audit-probe");
    expect(session).toMatchObject({ identityName: "agent-audit", connectionName: "audited", protocol: "postgres", status: "closed", clientAddr: "127.0.0.1" });
    expect(session.groups).toEqual(["auditors-test"]);
    expect(session.bytesIn).toBeGreaterThan(100);
    expect(session.bytesOut).toBeGreaterThan(100);
    expect(session.endedAt).toBeTruthy();

    const statements = (await auditOf(session.id)).filter((e) => e.action === "statement");
    expect(statements.map((e) => [e.statementKind, e.outcome, e.rows, e.sqlstate])).toEqual([
      ["SELECT", "ok", 1, null],
      ["CREATE TABLE", "ok", null, null],
      ["INSERT", "ok", 42, null],
      ["SELECT", "ok", 2, null],
      ["UPDATE", "ok", 9, null],
      ["SELECT", "error", null, "22012"],
      ["SELECT", "ok", 1, null],
    ]);
    expect(statements[2].statement).toBe("insert into a1 select generate_series(1, 42)");
    expect(statements[5].message).toBe("division by zero");
    for (const e of statements) {
      expect(e).toMatchObject({ identityName: "agent-audit", connectionName: "audited", protocol: "postgres" });
      expect(e.durationMs).toBeGreaterThanOrEqual(0);
    }
    const actions = (await auditOf(session.id)).map((e) => e.action);
    expect(actions[0]).toBe("session.start");
    expect(actions.at(-1)).toBe("session.end");
  });

  it("records a session cut off mid-query as failed, with the statement that was running", async () => {
    const c = new pg.Client({ host: "127.0.0.1", port: t.pgPort, database: "audited", user: "agent", password: key, application_name: "vanishing" });
    await c.connect();
    c.on("error", () => {});
    c.query("select pg_sleep(5)").catch(() => {});
    await new Promise((r) => setTimeout(r, 300));
    (c as unknown as { connection: { stream: { destroy: () => void } } }).connection.stream.destroy();
    await new Promise((r) => setTimeout(r, 500));
    const session = jsonLines((await t.cli("sessions", "list", "--json")).stdout).find((s) => s.clientApp === "vanishing");
    expect(session.status).toBe("failed");
    const events = await auditOf(session.id);
    expect(events.find((e) => e.action === "statement")).toMatchObject({ statement: "select pg_sleep(5)", outcome: "error", sqlstate: "08006" });
  });

  it("exports a session as asciicast v2", async () => {
    const session = jsonLines((await t.cli("sessions", "list", "--json")).stdout).find((s) => s.clientApp === "audit-probe");
    const r = await t.cli("sessions", "export", session.id, "--format", "asciicast");
    expect(r.code, r.stderr).toBe(0);
    const [header, ...events] = jsonLines(r.stdout);
    expect(header).toMatchObject({ version: 2, width: 120, height: 40 });
    expect(events.some((e) => e[1] === "i" && e[2].includes("insert into a1"))).toBe(true);
    let last = 0;
    for (const [time, kind] of events) {
      expect(["i", "o"]).toContain(kind);
      expect(time).toBeGreaterThanOrEqual(last);
      last = time;
    }
  });
});
