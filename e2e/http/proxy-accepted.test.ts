import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { auditEvents, reviews } from "../../drizzle/schema/index";
import { decidePendingReview, seedIdentity, seedPolicy, type SeededIdentity } from "../support/seed";
import { startHttpFixture, type HttpFixture } from "./http-fixture";

// Held requests answered at once: on a connection set to "accepted" (or any request with
// `Prefer: respond-async`), a request a rule holds gets 202 with the review's link; the same request
// sent again after approval runs, once; a rejection is told to the next copy; another identity, or
// the same request with another body, is a new review.
let f: HttpFixture;
let other: SeededIdentity;
const REVIEWED = { defaultAction: "allow" as const, rules: [{ name: "admin-reviewed", action: "review" as const, match: { kinds: ["* /v1/admin/**"] }, timeoutSeconds: 120 }] };

beforeAll(async () => {
  f = await startHttpFixture({ quick: { auth: "bearer", flags: { "held-requests": "accepted" } }, patient: { auth: "bearer" } });
  await seedPolicy(f.seed, "quick", REVIEWED);
  await seedPolicy(f.seed, "patient", REVIEWED);
  other = await seedIdentity(f.seed, "other-agent", ["agents"]);
}, 120_000);
afterAll(async () => {
  expect(f?.upstream.leaks ?? []).toEqual([]);
  await f?.close();
});

const call = (connection: string, method: string, path: string, body?: string, headers: Record<string, string> = {}, key = f.agent.key) =>
  fetch(`${f.base(connection)}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}), ...headers }, body });
const upstreamSaw = (method: string, path: string) => f.upstream.seen.filter((s) => s.method === method && s.url === path).length;
type Pending = { error: string; status: string; message: string; review: string; link: string; rule: string };

describe("[HTTP][REVIEWS] held requests answered 202, run once when sent again after approval", () => {
  it("answers 202 with the review's link, the same review to an early retry, and runs the approved request once", async () => {
    const body = '{"wipe":true}';
    const first = await call("quick", "POST", "/v1/admin/reset", body);
    expect(first.status).toBe(202);
    const pending = (await first.json()) as Pending;
    expect(pending).toMatchObject({
      error: "held_for_review",
      status: "pending_approval",
      rule: "admin-reviewed",
      message: expect.stringContaining("Send the same request again once it is approved"),
    });
    expect(first.headers.get("location")).toBe(pending.link);
    expect(pending.link).toMatch(new RegExp(`/reviews/${pending.review}$`));
    // Retried before a decision: the same review, no second one.
    const early = (await (await call("quick", "POST", "/v1/admin/reset", body)).json()) as Pending;
    expect(early.review).toBe(pending.review);
    expect(
      await f.seed.db
        .select()
        .from(reviews)
        .where(eq(reviews.statement, `POST /v1/admin/reset\n\n${body}`)),
    ).toHaveLength(1);
    expect(upstreamSaw("POST", "/v1/admin/reset")).toBe(0);

    await decidePendingReview(f.seed, "POST /v1/admin/reset", { approve: true });
    // Another body is another request: a review of its own; another identity likewise.
    const otherBody = await call("quick", "POST", "/v1/admin/reset", '{"wipe":false}');
    expect(otherBody.status).toBe(202);
    expect(((await otherBody.json()) as Pending).review).not.toBe(pending.review);
    const otherAgent = await call("quick", "POST", "/v1/admin/reset", body, {}, other.key);
    expect(otherAgent.status).toBe(202);
    expect(upstreamSaw("POST", "/v1/admin/reset")).toBe(0);

    const again = await call("quick", "POST", "/v1/admin/reset", body);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ method: "POST", path: "/v1/admin/reset", body });
    expect(upstreamSaw("POST", "/v1/admin/reset")).toBe(1);
    // Used up: the next copy is held again.
    expect((await call("quick", "POST", "/v1/admin/reset", body)).status).toBe(202);
    expect(upstreamSaw("POST", "/v1/admin/reset")).toBe(1);

    const events = () =>
      f.seed.db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.action, "request"), eq(auditEvents.connectionName, "quick"), eq(auditEvents.statement, "POST /v1/admin/reset")))
        .orderBy(auditEvents.id);
    // Stored by the gateway's audit writer within about 100 ms.
    await expect.poll(async () => (await events()).map((e) => e.outcome)).toEqual(["denied", "denied", "denied", "denied", "ok", "denied"]);
    const stored = await events();
    expect(stored[4].message).toContain(`(review ${pending.review}), sent again`);
    expect(stored[0].message).toContain(`answered 202: ${pending.link}`);
  });

  it("tells the next copy of a rejected request the approver's reason, once", async () => {
    expect((await call("quick", "DELETE", "/v1/admin/cache")).status).toBe(202);
    await decidePendingReview(f.seed, "DELETE /v1/admin/cache", { reject: "not during the sale" });
    const refused = await call("quick", "DELETE", "/v1/admin/cache");
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: "refused", message: expect.stringContaining("not during the sale"), rule: "admin-reviewed" });
    expect((await call("quick", "DELETE", "/v1/admin/cache")).status).toBe(202);
    expect(upstreamSaw("DELETE", "/v1/admin/cache")).toBe(0);
  });

  it("answers 202 on a waiting connection when the client sends Prefer: respond-async", async () => {
    const res = await call("patient", "PUT", "/v1/admin/flags", '{"on":true}', { prefer: "respond-async, wait=5" });
    expect(res.status).toBe(202);
    expect(((await res.json()) as Pending).status).toBe("pending_approval");
    expect(upstreamSaw("PUT", "/v1/admin/flags")).toBe(0);
  });
});
