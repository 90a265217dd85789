import { randomBytes, randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "../../../drizzle/client";
import { createSecretBox } from "../../../core/crypto/secret-box";
import { HeldCallResults } from "./held-call-results";
import type { ToolOutcome } from "./tool-call";
import { freshDatabase } from "../../../e2e/support/fresh-database";

// The shared record of held MCP calls, on a fresh database in the run's private PostgreSQL: what
// another instance reads while the call waits, once it ran, and when its holder stopped first.
let handle: DbHandle;
const box = createSecretBox(randomBytes(32));
const logged: string[] = [];
beforeAll(async () => {
  handle = await freshDatabase();
});
afterAll(() => handle?.close());

const lease = (instance: string, startedAt: string) =>
  handle.db.execute(sql`insert into gateway_instances (instance, token, host, pid, proc_start, started_at) values (${instance}, 't', 'h', 1, '1', ${startedAt}::timestamptz)
    on conflict (instance) do update set started_at = excluded.started_at`);
const outcome: ToolOutcome = { result: { content: [{ type: "text", text: "secret-result 42" }] }, outcome: "ok", message: "ran" };

describe("HeldCallResults", () => {
  it("tells another instance where a call waits, then hands over its outcome, stored sealed, to its identity only", async () => {
    const holder = new HeldCallResults(handle.db, box, "holder-1", (m) => logged.push(m));
    const reader = new HeldCallResults(handle.db, box, "reader-1", (m) => logged.push(m));
    await lease("holder-1", new Date(Date.now() - 60_000).toISOString());
    const reviewId = randomUUID();
    await holder.held({ reviewId, identityName: "agent", tool: "query", connection: "db" });
    expect(await reader.find(reviewId, "agent")).toEqual({ instance: "holder-1", tool: "query", connection: "db", outcome: undefined, holderGone: false });
    expect(await reader.find(reviewId, "someone-else")).toBeUndefined();
    await holder.settled(reviewId, outcome, 60_000);
    expect((await reader.find(reviewId, "agent"))?.outcome).toEqual(outcome);
    const { rows } = await handle.pool.query<{ outcome: string }>("select outcome from held_call_results where review_id = $1", [reviewId]);
    expect(rows[0].outcome).not.toContain("secret-result");
    // Only the instance holding the call stores its outcome.
    await reader.settled(reviewId, { ...outcome, message: "forged" }, 60_000);
    expect((await reader.find(reviewId, "agent"))?.outcome?.message).toBe("ran");
  });

  it("says the call is lost when its holder is gone or was started again before the outcome was stored", async () => {
    const reader = new HeldCallResults(handle.db, box, "reader-1", (m) => logged.push(m));
    const gone = new HeldCallResults(handle.db, box, "never-leased", (m) => logged.push(m));
    const a = randomUUID();
    await gone.held({ reviewId: a, identityName: "agent", tool: "exec", connection: "ssh" });
    expect((await reader.find(a, "agent"))?.holderGone).toBe(true);
    const restarted = new HeldCallResults(handle.db, box, "holder-2", (m) => logged.push(m));
    await lease("holder-2", new Date(Date.now() - 60_000).toISOString());
    const b = randomUUID();
    await restarted.held({ reviewId: b, identityName: "agent", tool: "query", connection: "db" });
    expect((await reader.find(b, "agent"))?.holderGone).toBe(false);
    await lease("holder-2", new Date(Date.now() + 1_000).toISOString());
    expect((await reader.find(b, "agent"))?.holderGone).toBe(true);
  });

  it("forgets an outcome once it expires, and sweeps expired rows when a call is next held", async () => {
    const holder = new HeldCallResults(handle.db, box, "holder-1", (m) => logged.push(m));
    const reviewId = randomUUID();
    await holder.held({ reviewId, identityName: "agent", tool: "query", connection: "db" });
    await holder.settled(reviewId, outcome, -1_000);
    expect(await holder.find(reviewId, "agent")).toBeUndefined();
    await holder.held({ reviewId: randomUUID(), identityName: "agent", tool: "query", connection: "db" });
    const { rows } = await handle.pool.query("select 1 from held_call_results where review_id = $1", [reviewId]);
    expect(rows).toHaveLength(0);
    expect(logged).toEqual([]);
  });
});
