import { afterAll, beforeAll, describe, expect, it } from "vitest";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { desc, eq } from "drizzle-orm";
import { openDb, type DbHandle } from "../../drizzle/client";
import { reviews } from "../../drizzle/schema/index";
import { decideReview } from "../../core/reviews/decide-review";
import { addConsoleUser } from "../../core/users/console-users";
import { pendingReview } from "../support/pending-review";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";

let t: TestGateway;
let second: TestGateway;
let db: DbHandle;
let key: string;
const hooks: unknown[] = [];
let hookServer: http.Server;
const table = "held_items";
const policyFile = path.join(tmpdir(), `gatehouse-review-policy-${process.pid}.json`);
const approver = (email: string, groups = ["dba"]) => ({ email, groups });

beforeAll(async () => {
  hookServer = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => (hooks.push(JSON.parse(body)), res.end("ok")));
  });
  await new Promise<void>((r) => hookServer.listen(0, "127.0.0.1", r));
  const webhook = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hook`;
  t = await startTestGateway({ GATEHOUSE_REVIEW_WEBHOOK_URL: webhook, GATEHOUSE_CONSOLE_URL: "https://gatehouse.example" });
  // A second instance on the same database: the "two gateways behind a load balancer" case.
  second = await startTestGateway({ GATEHOUSE_INSTANCE: "second" }, { shareDatabaseWith: t });
  db = openDb(t.env.DATABASE_URL, { max: 2 });
  key = await t.setupAccess({ connection: "held", identity: "agent-r" });
  writeFileSync(
    policyFile,
    JSON.stringify({
      defaultAction: "allow",
      rules: [
        { name: "truncate-needs-dba", action: "review", match: { kinds: ["TRUNCATE"] }, approvers: ["dba"] },
        { name: "deletes-need-two", action: "review", match: { kinds: ["DELETE"] }, approvers: ["dba"], requiredApprovals: 2 },
        { name: "updates-time-out", action: "review", match: { kinds: ["UPDATE"] }, timeoutSeconds: 5 },
        { name: "no-drops", action: "deny", match: { kinds: ["DROP"] } },
      ],
    }),
  );
  const applied = await t.cli("policies", "apply", "held", "-f", policyFile);
  if (applied.code !== 0) throw new Error(applied.stderr);
  await new Promise((r) => setTimeout(r, 1500));
}, 120_000);
afterAll(async () => {
  await db?.close();
  await second?.close();
  await t?.close();
  hookServer?.close();
  rmSync(policyFile, { force: true });
});

// Straight to the target (not through the gateway, whose policy holds these writes): the test's own view of the table.
async function direct(sql: string): Promise<string> {
  const c = new pg.Client({ connectionString: t.target.url() });
  await c.connect();
  try {
    const r: pg.QueryResult | pg.QueryResult[] = await c.query(sql);
    const last = Array.isArray(r) ? r[r.length - 1] : r;
    return String(last.rows[0]?.n ?? "");
  } finally {
    await c.end();
  }
}
const refill = () =>
  direct(`create table if not exists ${table} (id int primary key, name text); truncate ${table}; insert into ${table} select g, 'n' || g from generate_series(1, 10) g; analyze ${table}`);
const count = () => direct(`select count(*)::text as n from ${table}`);

describe("[REVIEWS] statements held for approval", () => {
  it("[APPROVE]: psql is told where to approve, nothing runs until then, and then it gets its normal result", async () => {
    await refill();
    const psql = t.psql(key, "held", ["-c", `TRUNCATE ${table}`]);
    const review = await pendingReview(db.db, "TRUNCATE");
    expect(await count()).toBe("10");
    expect(review.summary.kind).toBe("TRUNCATE");
    expect(review.approverGroups).toEqual(["dba"]);
    // Not the requester, not outside the approver groups.
    await expect(decideReview(db.db, { reviewId: review.id, decision: "approve", decider: { email: "agent-r", groups: ["dba"] } })).rejects.toThrow(/own request/);
    await expect(decideReview(db.db, { reviewId: review.id, decision: "approve", decider: approver("eve@example.com", ["sales"]) })).rejects.toThrow(/only members of dba/);
    await decideReview(db.db, { reviewId: review.id, decision: "approve", decider: approver("dana@example.com") });
    const r = await psql;
    expect(r.stderr).toContain(`NOTICE:  Gatehouse is holding this TRUNCATE for approval: https://gatehouse.example/reviews/${review.id}`);
    expect(r.stdout.trim()).toBe("TRUNCATE TABLE");
    expect(await count()).toBe("0");
    const [done] = await db.db.select().from(reviews).where(eq(reviews.id, review.id));
    expect(done.status).toBe("approved");
    expect(done.blastRadius?.estimatedRows).toBeGreaterThanOrEqual(0);
    const hook = hooks.find((h) => (h as { gatehouse?: { reviewId?: string } }).gatehouse?.reviewId === review.id) as { text: string } | undefined;
    expect(hook?.text).toContain(`agent-r wants to run a TRUNCATE on held`);
  });

  it("[REJECT]: the client gets 42501 with the approver's reason, the table is untouched, the session goes on", async () => {
    await refill();
    const psql = t.psql(key, "held", ["-v", "VERBOSITY=verbose", "-c", `truncate ${table}`, "-c", "select 'still here' as s"]);
    const review = await pendingReview(db.db, "truncate");
    await decideReview(db.db, { reviewId: review.id, decision: "reject", reason: "not during business hours", decider: approver("dana@example.com") });
    const r = await psql;
    expect(r.stderr).toContain("ERROR:  42501: Gatehouse did not run this TRUNCATE: rejected by dana@example.com: not during business hours");
    expect(r.stdout).toContain("still here");
    expect(await count()).toBe("10");
  });

  it("[N APPROVALS]: a rule may need two different approvers", async () => {
    await refill();
    const psql = t.psql(key, "held", ["-c", `delete from ${table} where id <= 3`]);
    const review = await pendingReview(db.db, "delete from");
    await decideReview(db.db, { reviewId: review.id, decision: "approve", decider: approver("dana@example.com") });
    await expect(decideReview(db.db, { reviewId: review.id, decision: "approve", decider: approver("dana@example.com") })).rejects.toThrow(/already approved/);
    await new Promise((r) => setTimeout(r, 500));
    expect(await count()).toBe("10");
    await decideReview(db.db, { reviewId: review.id, decision: "approve", decider: approver("omar@example.com") });
    expect((await psql).stdout.trim()).toBe("DELETE 3");
    expect(await count()).toBe("7");
    const [done] = await db.db.select().from(reviews).where(eq(reviews.id, review.id));
    expect(done.blastRadius?.estimatedRows).toBeGreaterThan(0); // the planner's estimate, not a run
  });

  it("[BLAST RADIUS]: a table the planner has no statistics for is counted, and the estimate says so", async () => {
    await direct("drop table if exists never_analysed; create table never_analysed (id int primary key) with (autovacuum_enabled = false); insert into never_analysed select generate_series(1, 5)");
    const estimateOf = async (sql: string) => {
      const psql = t.psql(key, "held", ["-c", sql]);
      const review = await pendingReview(db.db, sql);
      let estimate: (typeof reviews.$inferSelect)["blastRadius"] = null;
      await expect.poll(async () => (estimate = (await db.db.select().from(reviews).where(eq(reviews.id, review.id)))[0].blastRadius), { timeout: 10_000 }).toBeTruthy();
      await decideReview(db.db, { reviewId: review.id, decision: "reject", reason: "only looking", decider: approver("dana@example.com") });
      await psql;
      return estimate!;
    };
    // The planner would say 0 (or its default guess) for a table never analysed.
    expect(await estimateOf("delete from never_analysed")).toMatchObject({ estimatedRows: 5, counted: true, note: expect.stringContaining("counted") });
    expect(await estimateOf("delete from never_analysed where id <= 2")).toMatchObject({ upperBound: 5, note: expect.stringContaining("no current statistics for never_analysed") });
    expect(await direct("select count(*)::text as n from never_analysed")).toBe("5");
  });

  it("[TIMEOUT]: with no decision in time the client gets an error and nothing ran", async () => {
    await refill();
    const r = await t.psql(key, "held", ["-c", `update ${table} set name = 'x'`]);
    expect(r.stderr).toContain("Gatehouse did not run this UPDATE: nobody approved it in time");
    expect(await direct(`select count(*)::text as n from ${table} where name = 'x'`)).toBe("0");
    const [latest] = await db.db.select().from(reviews).orderBy(desc(reviews.createdAt)).limit(1);
    expect(latest.status).toBe("expired");
  }, 30_000);

  it("[CANCEL]: a client that disconnects cancels its review, and a late approval runs nothing", async () => {
    await refill();
    const client = new pg.Client({ host: "127.0.0.1", port: t.pgPort, database: "held", user: "agent-r", password: key });
    await client.connect();
    client.on("error", () => {});
    const running = client.query(`truncate ${table}`).catch((e: Error) => e);
    const review = await pendingReview(db.db, "truncate");
    (client as unknown as { connection: { stream: { destroy: () => void } } }).connection.stream.destroy();
    await running;
    for (let i = 0; i < 50; i++) {
      const [r] = await db.db.select().from(reviews).where(eq(reviews.id, review.id));
      if (r.status === "cancelled") break;
      await new Promise((res) => setTimeout(res, 100));
    }
    await expect(decideReview(db.db, { reviewId: review.id, decision: "approve", decider: approver("dana@example.com") })).rejects.toThrow(/already cancelled/);
    expect(await count()).toBe("10");
  });

  it("[TWO INSTANCES]: a statement held on one gateway is released by a decision written to the database alone", async () => {
    await refill();
    const conninfo = `host=127.0.0.1 port=${second.pgPort} dbname=held user=agent-r sslmode=disable`;
    const { run } = await import("../support/run-program");
    const psql = run("psql", [conninfo, "-X", "-c", `truncate ${table}`], { env: { PGPASSWORD: key } });
    const review = await pendingReview(db.db, "truncate");
    expect(review.gatewayInstance).toBe("second");
    // This process's own database connection, not either gateway: what the console does.
    await decideReview(db.db, { reviewId: review.id, decision: "approve", decider: approver("dana@example.com") });
    expect((await psql).stdout.trim()).toBe("TRUNCATE TABLE");
    expect(await count()).toBe("0");
  });

  it("[CLI]: `gatehouse reviews` lists what waits and decides as a named console approver", async () => {
    await refill();
    await addConsoleUser(db.db, { email: "cli-dba@example.com", role: "approver", password: "a long enough password", groups: ["dba"] });
    await addConsoleUser(db.db, { email: "cli-auditor@example.com", role: "auditor", password: "a long enough password", groups: ["dba"] });
    const psql = t.psql(key, "held", ["-c", `truncate ${table}`]);
    const review = await pendingReview(db.db, "truncate");
    const listed = await t.cli("reviews", "list", "--json");
    expect(
      listed.stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l).id),
    ).toContain(review.id);
    const auditor = await t.cli("reviews", "approve", review.id, "--as", "cli-auditor@example.com");
    expect(auditor.stderr).toContain("only approvers and admins decide reviews");
    const ok = await t.cli("reviews", "approve", review.id, "--as", "cli-dba@example.com");
    expect(ok.stdout).toContain(`review ${review.id}: approved`);
    expect((await psql).stdout.trim()).toBe("TRUNCATE TABLE");
  });

  it("[RESTART]: reviews a crashed instance left pending are cancelled when it starts again, so nobody approves a statement nobody waits for", async () => {
    const [orphan] = await db.db
      .insert(reviews)
      .values({
        connectionName: "held",
        protocol: "postgres",
        identityName: "agent-r",
        groups: [],
        statement: "truncate held_items",
        summary: { kind: "TRUNCATE", classes: ["write"], tables: ["held_items"], functions: [] },
        reason: "test",
        approverGroups: [],
        gatewayInstance: "crashed",
        expiresAt: new Date(Date.now() + 600_000),
      })
      .returning();
    const restarted = await startTestGateway({ GATEHOUSE_INSTANCE: "crashed" }, { shareDatabaseWith: t });
    try {
      const [r] = await db.db.select().from(reviews).where(eq(reviews.id, orphan.id));
      expect(r.status).toBe("cancelled");
      expect(r.decisionReason).toBe("the gateway instance holding it stopped");
      await expect(decideReview(db.db, { reviewId: orphan.id, decision: "approve", decider: approver("dana@example.com") })).rejects.toThrow(/already cancelled/);
    } finally {
      await restarted.close();
    }
  });

  it("[EXTENDED]: a held statement sent through the extended protocol (node-postgres with parameters) waits too", async () => {
    await refill();
    const client = new pg.Client({ host: "127.0.0.1", port: t.pgPort, database: "held", user: "agent-r", password: key });
    await client.connect();
    try {
      const running = client.query(`delete from ${table} where id = $1`, [1]).catch((e: Error) => e);
      const review = await pendingReview(db.db, "delete from");
      expect(await count()).toBe("10");
      await decideReview(db.db, { reviewId: review.id, decision: "reject", reason: "no", decider: approver("dana@example.com") });
      expect(await running).toMatchObject({ code: "42501" });
      // The session is still usable after the refusal.
      expect((await client.query("select 1 as one")).rows[0].one).toBe(1);
    } finally {
      await client.end();
    }
    expect(await count()).toBe("10");
  });
});

describe("[REVIEWS][CORPUS] held writes and their disguises change nothing before approval", () => {
  let corpusKey: string;
  const fingerprint = () => direct(`select count(*) || ':' || coalesce(sum(hashtext(name)), 0) as n from ${table}`);

  beforeAll(async () => {
    corpusKey = await t.setupAccess({ connection: "corpus", identity: "agent-c" });
    const file = path.join(tmpdir(), `gatehouse-corpus-policy-${process.pid}.json`);
    writeFileSync(file, JSON.stringify({ defaultAction: "allow", rules: [{ name: "changes-need-approval", action: "review", match: { classes: ["write", "ddl", "anonymous-code", "privileges"] } }] }));
    const applied = await t.cli("policies", "apply", "corpus", "-f", file);
    rmSync(file, { force: true });
    if (applied.code !== 0) throw new Error(applied.stderr);
    await new Promise((r) => setTimeout(r, 1500));
    await direct(`create or replace function wipe_held() returns void language sql as 'delete from ${table}'`);
  });

  const held = [
    `TrUnCaTe ${table}`,
    `/* harmless */ truncate /* really */ public.${table}`,
    `truncate "${table}"`,
    `select 1; delete from ${table}`,
    `with gone as (delete from ${table} returning *) select count(*) from gone`,
    `explain analyze delete from ${table}`,
    `prepare p_wipe as delete from ${table}; execute p_wipe`,
    `do $$ begin execute 'delete from ${table}'; end $$`,
    `update ${table} set name = upper(name) where id > 0`,
    `insert into ${table} values (99, 'new')`,
    `alter table ${table} add column extra int`,
    `create function wipe2() returns void language sql as 'delete from ${table}'`,
    `copy ${table} from program 'echo 100,x'`,
  ];

  it.each(held)("holds %s, and the table is unchanged until a decision (rejected here)", async (statement) => {
    await refill();
    const before = await fingerprint();
    const psql = t.psql(corpusKey, "corpus", ["-v", "VERBOSITY=verbose", "-c", statement]);
    const review = await pendingReview(db.db, statement.slice(0, 20));
    await new Promise((r) => setTimeout(r, 300));
    expect(await fingerprint()).toBe(before);
    await decideReview(db.db, { reviewId: review.id, decision: "reject", reason: "corpus", decider: approver("dana@example.com") });
    const r = await psql;
    expect(r.stderr).toMatch(/ERROR: {2}42501: Gatehouse did not run this .*: rejected by dana@example.com: corpus/);
    expect(await fingerprint()).toBe(before);
  });

  it.each([
    `select 'truncate ${table}' as s`,
    `select $$delete from ${table}$$ as s`,
    `select count(*) from ${table} where name = 'drop table ${table}'`,
    `-- delete from ${table}\nselect 1`,
    `explain delete from ${table}`,
  ])("lets the look-alike %s through at once", async (statement) => {
    const r = await t.psql(corpusKey, "corpus", ["-c", statement]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("holding");
  });
});
