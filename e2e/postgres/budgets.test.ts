import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { and, eq } from "drizzle-orm";
import { openDb, type DbHandle } from "../../drizzle/client";
import { auditEvents, dataBudgetUsage, dataBudgets, reviews, sessions } from "../../drizzle/schema/index";
import { decideReview } from "../../core/reviews/decide-review";
import { pendingReview } from "../support/pending-review";
import { run, startTestGateway, type TestGateway } from "../support/gateway-harness";
import { callTool, connectMcp, textOf } from "../mcp/mcp-client";

// Exfiltration budgets on Postgres, with psql and node-postgres against the run's private PostgreSQL:
// the seeds' bulk export (COPY ... TO STDOUT) cut off at the budget, held for an approver who extends
// it, and counted across sessions and gateway instances.
let t: TestGateway;
let second: TestGateway;
let db: DbHandle;
const table = `budget_customers_${process.pid}`;
const keys: Record<string, string> = {};
const approver = { email: "dana@example.com", groups: ["dba"] };

async function direct(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: t.target.url() });
  await c.connect();
  await c.query(sql).finally(() => c.end());
}

async function budget(...args: string[]): Promise<void> {
  const r = await t.cli("budgets", "add", ...args);
  if (r.code !== 0) throw new Error(r.stderr);
}

async function usage(identity: string): Promise<{ rows: number; extraRows: number; exceededAt: Date | null } | undefined> {
  await t.gw.deps.budgets.flush();
  const [u] = await db.db
    .select({ rows: dataBudgetUsage.rows, extraRows: dataBudgetUsage.extraRows, exceededAt: dataBudgetUsage.exceededAt })
    .from(dataBudgetUsage)
    .where(eq(dataBudgetUsage.identityName, identity));
  return u;
}

const lines = (s: string) => s.split("\n").filter(Boolean);

beforeAll(async () => {
  t = await startTestGateway({ GATEHOUSE_CONSOLE_URL: "https://gatehouse.example" });
  second = await startTestGateway({ GATEHOUSE_INSTANCE: "budgets-second" }, { shareDatabaseWith: t });
  db = openDb(t.env.DATABASE_URL, { max: 2 });
  await direct(`drop table if exists ${table}; create table ${table} (id int primary key, email text); insert into ${table} select g, 'c' || g || '@example.com' from generate_series(1, 1500) g`);
  for (const identity of ["exporter", "reviewed", "rejected", "bulk", "roaming", "mcp-agent"])
    keys[identity] = await t.setupAccess({ connection: "crm", group: identity === "reviewed" || identity === "rejected" ? "contractors" : "agents", identity });
  await budget("exporter-cap", "--identity", "exporter", "--connection", "crm", "--rows", "1000", "--window", "1h", "--on-exceed", "refuse");
  await budget("contractor-cap", "--group", "contractors", "--connection", "cr*", "--rows", "1k", "--window", "1h", "--on-exceed", "review");
  await budget("bulk-bytes", "--identity", "bulk", "--bytes", "1MB", "--window", "1d", "--on-exceed", "refuse");
  await budget("mcp-cap", "--identity", "mcp-agent", "--rows", "5", "--window", "1h", "--on-exceed", "refuse");
  await budget("roaming-cap", "--identity", "roaming", "--rows", "300", "--window", "1h", "--on-exceed", "refuse");
  // Both instances reload the budgets from the bus.
  await new Promise((r) => setTimeout(r, 1500));
}, 120_000);

afterAll(async () => {
  await direct(`drop table if exists ${table}`).catch(() => {});
  await db?.close();
  await second?.close();
  await t?.close();
});

describe("[BUDGETS] exfiltration budgets on Postgres", () => {
  it("[REFUSE]: COPY TO STDOUT receives exactly the budget, a warning near it, then 42501; the session goes on and later rows are refused", async () => {
    const r = await t.psql(keys.exporter, "crm", ["-v", "VERBOSITY=verbose", "-c", `COPY ${table} TO STDOUT`, "-c", "set search_path = public"]);
    const rows = lines(r.stdout).filter((l) => /^\d+\t/.test(l));
    expect(rows).toHaveLength(1000);
    expect(rows[999]).toBe("1000\tc1000@example.com");
    expect(r.stderr).toContain('WARNING:  01000: Gatehouse: 800 of 1,000 rows this hour used of data budget "exporter-cap"');
    expect(r.stderr).toMatch(/ERROR: {2}42501: Gatehouse: data budget "exporter-cap" exceeded: 1,000 of 1,000 rows this hour/);
    expect(r.stdout, r.stderr).toMatch(/^SET$/m);
    // Nothing more this hour, whatever the statement.
    const again = await t.psql(keys.exporter, "crm", ["-c", `select email from ${table} where id = 1`]);
    expect(again.stdout).not.toContain("c1@example.com");
    expect(again.stderr).toContain('data budget "exporter-cap" exceeded');
    const u = await usage("exporter");
    expect(u?.rows).toBe(1000);
    expect(u?.exceededAt).not.toBeNull();
    await t.gw.deps.audit.flush();
    const events = await db.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "budget.exceeded"), eq(auditEvents.identityName, "exporter")));
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events[0].details).toMatchObject({ budget: { budget: "exporter-cap", rows: 1000, maxRows: 1000, window: "hour" } });
    expect(events[0].statement).toContain(`COPY ${table} TO STDOUT`);
  });

  it("[REVIEW]: past the budget the export is held; the approver extends it and the same COPY finishes whole", async () => {
    const psql = t.psql(keys.reviewed, "crm", ["-c", `COPY ${table} TO STDOUT`]);
    const review = await pendingReview(db.db, `COPY ${table}`);
    expect(review.summary.kind).toBe("data budget");
    expect(review.reason).toContain('data budget "contractor-cap" exceeded: 1,000 of 1,000 rows');
    expect((await usage("reviewed"))?.rows).toBe(1000);
    await decideReview(db.db, { reviewId: review.id, decision: "approve", decider: approver });
    const r = await psql;
    expect(r.stderr).toContain(`NOTICE:  Gatehouse is holding this result for approval: https://gatehouse.example/reviews/${review.id}`);
    expect(lines(r.stdout)).toHaveLength(1500);
    const u = await usage("reviewed");
    expect(u).toMatchObject({ rows: 1500, extraRows: 1000 });
  });

  it("[REJECT]: a rejected extension cuts the result off with the approver's reason; the group's budget is each member's own", async () => {
    const client = new pg.Client({ host: "127.0.0.1", port: t.pgPort, database: "crm", user: "agent", password: keys.rejected, ssl: false });
    await client.connect();
    try {
      // Caught at once: the refusal can arrive while decideReview is still awaited, before any expect
      // looks at it, and an unhandled rejection then fails the whole run.
      const query = client.query(`select id, email from ${table} order by id`).catch((e: Error) => e);
      const review = await pendingReview(db.db, `select id, email from ${table}`);
      expect(review.identityName).toBe("rejected");
      await decideReview(db.db, { reviewId: review.id, decision: "reject", reason: "no bulk reads", decider: approver });
      const refused = await query;
      expect(refused).toBeInstanceOf(Error);
      expect(String(refused)).toMatch(/data budget "contractor-cap" exceeded: 1,000 of 1,000 rows this hour .*rejected by dana@example.com: no bulk reads/);
      // The session goes on (for what returns no rows: any row now waits for an approver again).
      expect((await client.query("set application_name = 'after the budget'")).command).toBe("SET");
    } finally {
      await client.end();
    }
    const [r] = await db.db.select({ status: reviews.status }).from(reviews).where(eq(reviews.identityName, "rejected"));
    expect(r.status).toBe("rejected");
  });

  it("[MID-STREAM]: a 1,000,000-row SELECT stops at a byte budget: the target is cancelled, not drained", async () => {
    const client = new pg.Client({ host: "127.0.0.1", port: t.pgPort, database: "crm", user: "agent", password: keys.bulk, ssl: false, application_name: "bulk-export" });
    await client.connect();
    let sessionId: string | undefined;
    try {
      await expect(client.query("select g, repeat('x', 100) as pad from generate_series(1, 1000000) g")).rejects.toThrow(/data budget "bulk-bytes" exceeded: .* of 1,000,000 bytes this day/);
      expect((await client.query("set application_name = 'still here'")).command).toBe("SET");
      const [s] = await db.db.select({ id: sessions.id }).from(sessions).where(eq(sessions.clientApp, "bulk-export"));
      sessionId = s.id;
    } finally {
      await client.end();
    }
    // What the target sent the gateway: far less than the 1,000,000 rows (about 120 MB) it would have streamed undisturbed.
    for (let i = 0; i < 50; i++) {
      const [s] = await db.db.select({ bytesOut: sessions.bytesOut, endedAt: sessions.endedAt }).from(sessions).where(eq(sessions.id, sessionId!));
      if (s.endedAt) {
        expect(s.bytesOut).toBeLessThan(30_000_000);
        expect(s.bytesOut).toBeGreaterThan(1_000_000);
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("the session did not end");
  });

  it("[INSTANCES]: use on one gateway instance counts on another", async () => {
    const first = await t.psql(keys.roaming, "crm", ["-At", "-c", `select id from ${table} order by id limit 250`]);
    expect(lines(first.stdout)).toHaveLength(250);
    await t.gw.deps.budgets.flush();
    const conninfo = `host=127.0.0.1 port=${second.pgPort} dbname=crm user=agent sslmode=disable`;
    const r = await run("psql", [conninfo, "-X", "-At", "-c", `select id from ${table} order by id limit 100`], { env: { PGPASSWORD: keys.roaming } });
    expect(r.stderr).toContain('data budget "roaming-cap" exceeded: 300 of 300 rows');
  });

  it("[MCP]: the MCP query tool counts against the caller's budget (it reads through the gateway's Postgres listener)", async () => {
    const client = await connectMcp(new URL(`http://127.0.0.1:${t.gw.ports.http}/mcp`), keys["mcp-agent"]);
    try {
      const few = await callTool(client, "query", { connection: "crm", sql: `select id from ${table} order by id limit 3` });
      expect(few.isError, textOf(few)).toBeFalsy();
      const many = await callTool(client, "query", { connection: "crm", sql: `select id from ${table} order by id limit 10` });
      expect(many.isError).toBe(true);
      expect(textOf(many)).toContain('data budget "mcp-cap" exceeded: 5 of 5 rows this hour');
    } finally {
      await client.close();
    }
  });

  it("[CLI]: budgets list and usage show what was set and used; a budget without a limit is refused", async () => {
    const list = await t.cli("budgets", "list");
    expect(list.stdout).toContain("exporter-cap\tidentity exporter\tcrm\t1,000 rows per hour\trefuse\twarn at 80%");
    const use = await t.cli("budgets", "usage", "--identity", "exporter");
    expect(use.stdout).toMatch(/exporter\texporter-cap\t.*\(now\)\t1000 rows\t\d+ bytes\t100%\texceeded/);
    const bad = await t.cli("budgets", "add", "nolimit", "--everyone", "--window", "1h", "--on-exceed", "refuse");
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("--rows, --bytes or both");
    expect(await db.db.select().from(dataBudgets).where(eq(dataBudgets.name, "nolimit"))).toHaveLength(0);
    // Each change is a cli.* audit event with the budget before and after.
    await t.gw.deps.audit.flush();
    const [added] = await db.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "cli.budgets.add"), eq(auditEvents.outcome, "ok")))
      .limit(1);
    expect(added.details).toMatchObject({ target: "exporter-cap", after: { name: "exporter-cap", max_rows: "1000", on_exceed: "refuse" } });
  });
});
