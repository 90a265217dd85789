import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { auditEvents, reviews, sessions } from "../../drizzle/schema/index";
import { pendingReview } from "../support/pending-review";
import { addConnection } from "../../core/connections/add-connection";
import { decidePendingReview, seedGrant, seedMasking, seedPolicy } from "../support/seed";
import { startHttpFixture, type HttpFixture } from "./http-fixture";

// Requests judged by the connection's policy (method and path globs, JSON body fields), held for
// review and forwarded exactly as received once approved, audited one event per request; the
// upstream down or slow.
let f: HttpFixture;
beforeAll(async () => {
  f = await startHttpFixture({ guarded: { auth: "bearer", flags: { "max-body-bytes": "2048" } }, audited: { auth: "bearer" }, slow: { auth: "bearer", flags: { "timeout-ms": "300" } } });
  await addConnection(f.seed.db, f.seed.box, { name: "down", type: "http", flags: { url: "http://127.0.0.1:9", auth: "bearer", credential: "down-secret-123456" } });
  await seedGrant(f.seed, "agents", "down");
  await seedPolicy(f.seed, "guarded", {
    defaultAction: "allow",
    rules: [
      { name: "no-customer-deletes", action: "deny", match: { kinds: ["DELETE /v1/customers/*"] } },
      { name: "forced-refunds-need-review", action: "review", match: { kinds: ["POST /v1/refunds"], body: { "/mode": "force" } }, timeoutSeconds: 30 },
      { name: "admin-reviewed", action: "review", match: { kinds: ["* /v1/admin/**"] }, timeoutSeconds: 30 },
    ],
  });
  await seedMasking(f.seed, "audited", { detectors: { builtIn: ["email"] } });
}, 120_000);
afterAll(async () => {
  expect(f?.upstream.leaks ?? []).toEqual([]);
  await f?.close();
});

const call = (connection: string, method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
  fetch(`${f.base(connection)}${path}`, { method, headers: { authorization: `Bearer ${f.agent.key}`, ...(body ? { "content-type": "application/json" } : {}), ...headers }, body });
const upstreamSaw = (method: string, path: string) => f.upstream.seen.filter((s) => s.method === method && s.url === path).length;
const requestEvents = (connection: string) =>
  f.seed.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.action, "request"), eq(auditEvents.connectionName, connection)))
    .orderBy(auditEvents.id);

describe("[HTTP][GUARDRAILS] requests judged by the connection's policy", () => {
  it("denies by method and path glob with 403 naming the rule; the upstream never sees it; look-alikes pass", async () => {
    const denied = await call("guarded", "DELETE", "/v1/customers/42");
    expect(denied.status).toBe(403);
    expect(await denied.json()).toEqual({ error: "refused", message: expect.stringContaining('rule "no-customer-deletes"'), rule: "no-customer-deletes" });
    const encoded = await call("guarded", "DELETE", "/v1/cust%6Fmers//42/");
    expect(encoded.status).toBe(403);
    expect(upstreamSaw("DELETE", "/v1/customers/42")).toBe(0);
    expect((await call("guarded", "DELETE", "/v1/customers/42/notes")).status).toBe(200);
    expect((await call("guarded", "GET", "/v1/customers/42")).status).toBe(200);
    expect((await call("guarded", "GET", "/v1/../v1/customers")).status).toBe(200); // fetch resolves it before sending (raw dot segments: proxy-abuse.test.ts)
  });

  it("judges a POST that asks for another method (override headers, ?_method=, a form's _method) as that method too", async () => {
    for (const [headers, path, body] of [
      [{ "x-http-method-override": "DELETE" }, "/v1/customers/7", undefined],
      [{ "x-http-method": "delete" }, "/v1/customers/7", undefined],
      [{ "x-method-override": "DELETE" }, "/v1/customers/7", undefined],
      [{}, "/v1/customers/7?_method=DELETE", undefined],
      [{ "content-type": "application/x-www-form-urlencoded" }, "/v1/customers/7", "name=x&_method=DELETE"],
    ] as const) {
      const r = await fetch(`${f.base("guarded")}${path}`, { method: "POST", headers: { authorization: `Bearer ${f.agent.key}`, ...headers }, body });
      expect(r.status, JSON.stringify(headers) + path).toBe(403);
      expect((await r.json()).rule).toBe("no-customer-deletes");
    }
    expect(f.upstream.seen.filter((s) => s.url.startsWith("/v1/customers/7")).length).toBe(0);
    // A form without the field, and an override to an allowed method, pass (the form body as sent).
    const form = await fetch(`${f.base("guarded")}/v1/customers/7`, {
      method: "POST",
      headers: { authorization: `Bearer ${f.agent.key}`, "content-type": "application/x-www-form-urlencoded" },
      body: "name=x",
    });
    expect(form.status).toBe(200);
    expect(await form.json()).toEqual({ method: "POST", path: "/v1/customers/7", body: "name=x" });
    expect((await call("guarded", "POST", "/v1/customers/7", undefined, { "x-http-method-override": "PATCH" })).status).toBe(200);
    // Headers that route to another path behind the gateway (X-Original-URL, X-Rewrite-URL) never reach the upstream.
    expect((await call("guarded", "GET", "/v1/customers/9", undefined, { "x-original-url": "/v1/admin/wipe", "x-rewrite-url": "/v1/admin/wipe" })).status).toBe(200);
    const routed = f.upstream.seen.findLast((s) => s.url === "/v1/customers/9");
    expect(routed?.headers).not.toHaveProperty("x-original-url");
    expect(routed?.headers).not.toHaveProperty("x-rewrite-url");
    // A form larger than the connection buffers (2048 bytes here) cannot be read for the field: refused, not guessed.
    const big = await fetch(`${f.base("guarded")}/v1/customers/8`, {
      method: "POST",
      headers: { authorization: `Bearer ${f.agent.key}`, "content-type": "application/x-www-form-urlencoded" },
      body: `a=${"x".repeat(3000)}&_method=DELETE`,
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: "too_large_to_judge" });
    // A compressed form cannot be read for the field either (an upstream that decodes it would see _method=DELETE).
    const gzipped = await fetch(`${f.base("guarded")}/v1/customers/8`, {
      method: "POST",
      headers: { authorization: `Bearer ${f.agent.key}`, "content-type": "application/x-www-form-urlencoded", "content-encoding": "gzip" },
      body: zlib.gzipSync("name=x&_method=DELETE"),
    });
    expect(gzipped.status).toBe(415);
    expect(await gzipped.json()).toMatchObject({ error: "unreadable_body" });
    expect(f.upstream.seen.filter((s) => s.url.startsWith("/v1/customers/8")).length).toBe(0);
  });

  it("holds a request whose JSON body matches, and forwards it exactly as received once approved", async () => {
    const body = '{"mode":"force",  "amount": 12345678901234567890, "note":"ünïcode"}';
    const pending = call("guarded", "POST", "/v1/refunds?x=1", body, { "x-trace": "t-1" });
    await new Promise((r) => setTimeout(r, 300));
    expect(upstreamSaw("POST", "/v1/refunds?x=1"), "nothing reaches the upstream before the verdict").toBe(0);
    await decidePendingReview(f.seed, "POST /v1/refunds?x=1", { approve: true });
    const res = await pending;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ method: "POST", path: "/v1/refunds", body });
    expect(f.upstream.seen.at(-1)?.headers["x-trace"]).toBe("t-1");
    // Another mode is not held.
    expect((await call("guarded", "POST", "/v1/refunds", '{"mode":"normal"}')).status).toBe(200);
  });

  it.each([
    // Which value the upstream acts on cannot be told: read as unreadable, it meets the review rule.
    ["names a key twice", "dup", '{"mode":"force","mode":"normal"}'],
    // Go's encoding/json and ASP.NET bind MODE to mode.
    ["names the key in another case", "case", '{"MODE":"force"}'],
  ])("holds a body that %s, and the upstream never sees it when rejected", async (_what, marker, body) => {
    const path = `/v1/refunds?${marker}=1`;
    const pending = call("guarded", "POST", path, body);
    await new Promise((r) => setTimeout(r, 300));
    expect(upstreamSaw("POST", path), "nothing reaches the upstream before the verdict").toBe(0);
    await decidePendingReview(f.seed, `POST ${path}`, { reject: "no" });
    expect((await pending).status).toBe(403);
    expect(upstreamSaw("POST", path)).toBe(0);
  });

  it("cancels the review of a held request whose client goes away; the upstream never sees it", async () => {
    const aborter = new AbortController();
    const pending = fetch(`${f.base("guarded")}/v1/admin/abandoned`, { method: "DELETE", headers: { authorization: `Bearer ${f.agent.key}` }, signal: aborter.signal }).catch((err: Error) => err);
    const review = await pendingReview(f.seed.db, "DELETE /v1/admin/abandoned");
    aborter.abort();
    expect(await pending).toBeInstanceOf(Error);
    await expect.poll(async () => (await f.seed.db.select().from(reviews).where(eq(reviews.id, review.id)))[0]?.status, { timeout: 5000 }).toBe("cancelled");
    expect(upstreamSaw("DELETE", "/v1/admin/abandoned")).toBe(0);
  });

  it("refuses a rejected request with the approver's reason, and one too large to hold with the reason", async () => {
    const pending = call("guarded", "PUT", "/v1/admin/flags", '{"on":true}');
    await decidePendingReview(f.seed, "PUT /v1/admin/flags", { reject: "not today" });
    const res = await pending;
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      error: "refused",
      rule: "admin-reviewed",
      message: expect.stringContaining("rejected by dana@example.com: not today"),
      review: expect.stringContaining("/reviews/"),
    });
    const big = await call("guarded", "POST", "/v1/admin/import", JSON.stringify({ data: "x".repeat(5000) }));
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: "too_large_to_hold", message: expect.stringContaining("larger than the 2048 bytes") });
    expect(upstreamSaw("PUT", "/v1/admin/flags") + upstreamSaw("POST", "/v1/admin/import")).toBe(0);
  });

  it("writes one audit event per request: method, path, status, bytes each way, duration, rule, masked counts; one session per client connection", async () => {
    const before = (await requestEvents("audited")).length;
    const agent = new (await import("undici")).Agent({ connections: 1 });
    for (const path of ["/customers", "/echo/one", "/nowhere"]) {
      const r = await fetch(`${f.base("audited")}${path}`, { headers: { authorization: `Bearer ${f.agent.key}` }, dispatcher: agent } as RequestInit);
      await r.arrayBuffer();
    }
    await agent.close();
    await expect.poll(async () => (await requestEvents("audited")).length - before, { timeout: 5000 }).toBe(3);
    const events = (await requestEvents("audited")).slice(before);
    expect(events.map((e) => [e.statement, e.outcome, (e.details as { status: number }).status])).toEqual([
      ["GET /customers", "ok", 200],
      ["GET /echo/one", "ok", 200],
      ["GET /nowhere", "ok", 404],
    ]);
    expect(events[0].details).toMatchObject({ method: "GET", path: "/customers", bytesIn: 0, bytesOut: expect.any(Number), rule: null, masked: { email: 2 } });
    expect((events[0].details as { bytesOut: number }).bytesOut).toBeGreaterThan(100);
    expect(events.every((e) => e.identityName === f.agent.name && typeof e.durationMs === "number")).toBe(true);
    expect(new Set(events.map((e) => e.sessionId)).size, "three requests on one keep-alive connection are one session").toBe(1);
    await expect
      .poll(async () => (await f.seed.db.select().from(sessions).where(eq(sessions.id, events[0].sessionId!)))[0]?.status, { timeout: 10_000, message: "the session ends when the connection closes" })
      .not.toBe("active");
    const denied = (await requestEvents("guarded")).find((e) => e.statement === "DELETE /v1/customers/42");
    expect(denied).toMatchObject({ outcome: "denied", details: expect.objectContaining({ status: 403, rule: "no-customer-deletes" }) });
  });

  it("answers 502 when the upstream is down and 504 when it is slow, as JSON without the secret", async () => {
    const down = await call("down", "GET", "/x");
    expect(down.status).toBe(502);
    const body = await down.text();
    expect(JSON.parse(body)).toMatchObject({ error: "upstream_unavailable" });
    expect(body).not.toContain("down-secret-123456");
    const started = Date.now();
    const slow = await call("slow", "GET", "/slow?ms=5000");
    expect(slow.status).toBe(504);
    expect(await slow.json()).toMatchObject({ error: "upstream_timeout" });
    expect(Date.now() - started).toBeLessThan(4000);
    // An answer that breaks off before its declared length: the client is told, not handed a silently short body.
    const cut = await call("guarded", "GET", "/cut-short").then(
      async (r) => ({ status: r.status, body: await r.text() }),
      (err: Error) => ({ status: 0, body: String(err.cause ?? err) }),
    );
    expect(cut.status).toBe(502);
    expect(JSON.parse(cut.body)).toMatchObject({ error: "upstream_failed" });
  });
});
