import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import pg from "pg";
import { eq } from "drizzle-orm";
import { reviews } from "../../drizzle/schema/index";
import { decideReview } from "../../core/reviews/decide-review";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { openSeed, seedPolicy, type Seed } from "../support/seed";
import { pendingReview } from "../support/pending-review";
import { auditLog, auditSince } from "../support/sign-in";

// Ctrl-C on a statement held for review (issue 13): the client's CancelRequest withdraws the review
// (cancelled by the client, audited), the client gets PostgreSQL's own 57014, and the session goes on.
let t: TestGateway;
let seed: Seed;
let key: string;
const table = "cancel_items";

beforeAll(async () => {
  t = await startTestGateway();
  key = await t.setupAccess({ connection: "held-cancel", identity: "agent-c" });
  seed = openSeed(t);
  await seedPolicy(seed, "held-cancel", {
    defaultAction: "allow",
    rules: [
      { name: "truncate-needs-review", action: "review", match: { kinds: ["TRUNCATE"] } },
      { name: "delete-needs-review", action: "review", match: { kinds: ["DELETE"] } },
    ],
  });
  await direct(`create table if not exists ${table} (id int primary key); truncate ${table}; insert into ${table} select generate_series(1, 10)`);
});
afterAll(async () => {
  await seed?.close();
  await t?.close();
});

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
const count = () => direct(`select count(*)::text as n from ${table}`);

async function reviewSettled(id: string) {
  for (let i = 0; i < 50; i++) {
    const [r] = await seed.db.select().from(reviews).where(eq(reviews.id, id));
    if (r.status !== "pending") return r;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`review ${id} is still pending`);
}

describe("[REVIEWS][CANCEL] a held statement cancelled by its client", () => {
  it("psql: Ctrl-C withdraws the review, prints 57014's message at once, and nothing runs", async () => {
    const before = await auditLog(t);
    const conninfo = `host=127.0.0.1 port=${t.pgPort} dbname=held-cancel user=agent sslmode=disable`;
    const child = spawn("psql", [conninfo, "-X", "-v", "VERBOSITY=verbose", "-c", `TRUNCATE ${table}`], { env: { ...process.env, PGPASSWORD: key } });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const closed = new Promise<number | null>((r) => child.once("close", r));
    const review = await pendingReview(seed.db, `TRUNCATE ${table}`);
    expect(review.summary).toMatchObject({ kind: "TRUNCATE", locks: "ACCESS EXCLUSIVE" }); // what the review page shows
    const started = Date.now();
    child.kill("SIGINT");
    const code = await closed;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(out).toContain("Gatehouse is holding this TRUNCATE for approval");
    expect(out).toContain("57014");
    expect(out).toContain("canceling statement due to user request");
    expect(code).not.toBe(0);
    const settled = await reviewSettled(review.id);
    expect(settled).toMatchObject({ status: "cancelled", decisionReason: "cancelled by the client" });
    // Too late to approve: nothing runs.
    await expect(decideReview(seed.db, { reviewId: review.id, decision: "approve", decider: { email: "dana@example.com", groups: [] } })).rejects.toThrow(/already cancelled/);
    expect(await count()).toBe("10");
    const events = await auditSince(t, before);
    expect(events.find((e) => e.action === "review.cancelled")).toMatchObject({ outcome: "denied", message: `review ${review.id}: cancelled by the client` });
    expect(events.find((e) => e.action === "statement")).toMatchObject({ outcome: "denied", statement: `TRUNCATE ${table}` });
  });

  it("node-postgres: a cancel sent on a second connection withdraws a held simple and a held extended statement; the session goes on", async () => {
    const client = new pg.Client({ host: "127.0.0.1", port: t.pgPort, database: "held-cancel", user: "agent-c", password: key });
    await client.connect();
    // node-postgres's own cancel: a new connection to the same address that sends the client's cancel key (not in its typings).
    const canceller = new pg.Client({ host: "127.0.0.1", port: t.pgPort }) as pg.Client & { cancel: (c: pg.Client, q: unknown) => void };
    const cancel = () => canceller.cancel(client, (client as unknown as { _activeQuery: unknown })._activeQuery);
    try {
      for (const [sql, values, fragment] of [
        [`truncate ${table}`, undefined, "truncate"],
        [`delete from ${table} where id = $1`, [3], "delete from"],
      ] as const) {
        const running = client.query(sql, values as unknown[] | undefined).then(
          () => null,
          (e: pg.DatabaseError) => e,
        );
        const review = await pendingReview(seed.db, fragment);
        cancel();
        const err = await running;
        expect(err).toMatchObject({ code: "57014", message: "canceling statement due to user request" });
        expect((await reviewSettled(review.id)).status).toBe("cancelled");
        expect((await client.query("select 'still here' as s")).rows).toEqual([{ s: "still here" }]);
      }
      expect(await count()).toBe("10");
      // A cancel with nothing held still reaches the target's running statement.
      const slow = client.query("select pg_sleep(30)").then(
        () => null,
        (e: pg.DatabaseError) => e,
      );
      await new Promise((r) => setTimeout(r, 500));
      const started = Date.now();
      cancel();
      expect(await slow).toMatchObject({ code: "57014" });
      expect(Date.now() - started).toBeLessThan(5_000);
      // PostgreSQL (15 here) signals a cancelled backend twice, its pid and then its process group
      // (postmaster.c's signal_child); on a loaded machine the second SIGINT can land after the first
      // error's recovery and cancel whatever runs next, directly as through the gateway. Idle, the
      // backend drops it: the next statement waits until it has.
      await new Promise((r) => setTimeout(r, 200));
      expect((await client.query("select 1 as one")).rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
  });
});
