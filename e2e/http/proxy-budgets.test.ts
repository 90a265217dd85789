import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { reviews } from "../../drizzle/schema/index";
import { saveBudget } from "../../core/budgets/manage-budgets";
import { decideReview } from "../../core/reviews/decide-review";
import { seedIdentity, type SeededIdentity } from "../support/seed";
import { run } from "../support/run-program";
import { pendingReview } from "../support/pending-review";
import { startHttpFixture, type HttpFixture } from "./http-fixture";

// Data budgets on the HTTP proxy, with curl against a real upstream: response bytes counted as the
// client is sent them; a warning header past the mark; a body cut off at the budget; a spent budget
// refusing the next request with 429; a review budget pausing the body until an approver extends it.
let f: HttpFixture;
let reviewed: SeededIdentity;
let leaver: SeededIdentity;

beforeAll(async () => {
  f = await startHttpFixture({ metered: { auth: "bearer" } });
  reviewed = await seedIdentity(f.seed, "http-reviewed", ["agents"]);
  leaver = await seedIdentity(f.seed, "http-leaver", ["agents"]);
  const db = f.gw.gw.deps.db;
  await saveBudget(
    db,
    { name: "http-bytes", subjectKind: "identity", subject: "http-agent", connection: "metered", maxBytes: 1_000_000, windowSeconds: 3600, onExceed: "refuse", warnPercent: 50 },
    "test",
  );
  await saveBudget(db, { name: "http-review", subjectKind: "identity", subject: "http-reviewed", maxBytes: 100_000, windowSeconds: 3600, onExceed: "review" }, "test");
  await saveBudget(db, { name: "http-leaver", subjectKind: "identity", subject: "http-leaver", maxBytes: 50_000, windowSeconds: 3600, onExceed: "review" }, "test");
  await f.gw.gw.deps.budgets.reload();
}, 120_000);
afterAll(async () => {
  await f?.close();
});

/** curl through the gateway: status, bytes received, the warning header, curl's exit code. */
async function curl(key: string, path: string) {
  const r = await run("curl", ["-sS", "-D", "-", "-o", "/dev/null", "-w", "%{http_code} %{size_download}\\n", "-H", `Authorization: Bearer ${key}`, `${f.base("metered")}${path}`]);
  const [status, size] = r.stdout.trim().split("\n").at(-1)!.split(" ").map(Number);
  const warning = /^gatehouse-budget-warning: (.*)$/im.exec(r.stdout)?.[1]?.trim();
  return { status, size, warning, code: r.code, stderr: r.stderr };
}

describe("[HTTP][BUDGETS]", () => {
  it("[REFUSE]: counts response bytes, warns in a header past the mark, cuts the body at the budget, then refuses with 429", async () => {
    const first = await curl(f.agent.key, "/large?bytes=400000");
    expect(first).toMatchObject({ status: 200, size: 400000, code: 0 });
    expect(first.warning).toBeUndefined();
    // This one crosses the 50% mark in its body: the next response's headers say so.
    expect(await curl(f.agent.key, "/large?bytes=400000")).toMatchObject({ status: 200, size: 400000 });
    const third = await curl(f.agent.key, "/large?bytes=400000");
    expect(third.warning).toMatch(/^Gatehouse: 800,000 of 1,000,000 bytes this hour used of data budget "http-bytes"/);
    // Cut off: curl reports a transfer that ended early, and got no more than the budget allows.
    expect(third.status).toBe(200);
    expect(third.code).not.toBe(0);
    expect(third.size).toBeLessThanOrEqual(200_000);
    const refused = await run("curl", ["-sS", "-H", `Authorization: Bearer ${f.agent.key}`, `${f.base("metered")}/large?bytes=10`, "-w", "\\n%{http_code}"]);
    expect(refused.stdout).toMatch(/429$/);
    expect(refused.stdout).toContain("budget_exceeded");
    expect(refused.stdout).toContain('data budget \\"http-bytes\\" exceeded');
  });

  it("[REVIEW]: past the budget the body pauses until an approver extends it, then arrives whole", async () => {
    const download = curl(reviewed.key, "/large?bytes=150000");
    const review = await pendingReview(f.gw.gw.deps.db, "GET /large?bytes=150000");
    expect(review.reason).toContain('data budget "http-review" exceeded');
    await decideReview(f.gw.gw.deps.db, { reviewId: review.id, decision: "approve", decider: { email: "dana@example.com", groups: [] } });
    expect(await download).toMatchObject({ status: 200, size: 150000, code: 0 });
  });

  it("[REVIEW][GONE]: a client that goes away while its body waits for an approver cancels the review", async () => {
    const abort = new AbortController();
    const download = fetch(`${f.base("metered")}/large?bytes=200000`, { headers: { authorization: `Bearer ${leaver.key}` }, signal: abort.signal }).then((r) => r.arrayBuffer());
    download.catch(() => {});
    const review = await pendingReview(f.gw.gw.deps.db, "GET /large?bytes=200000");
    expect(review.identityName).toBe("http-leaver");
    abort.abort();
    await expect.poll(async () => (await f.gw.gw.deps.db.select({ status: reviews.status }).from(reviews).where(eq(reviews.id, review.id)))[0].status, { timeout: 10_000 }).toBe("cancelled");
  });
});
