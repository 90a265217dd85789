import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { auditEvents } from "../../drizzle/schema/index";
import { addConnection } from "../../core/connections/add-connection";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { startHttpUpstream, type HttpUpstream } from "../support/http-upstream";
import { decidePendingReview, openSeed, seedGrant, seedIdentity, seedMasking, seedPolicy, type Seed, type SeededIdentity } from "../support/seed";
import { callTool, connectMcp, structured, textOf } from "./mcp-client";

// `http_request`: a request on an HTTP API connection through the gateway's own HTTP proxy, as the
// caller: the proxy injects the API's credential, judges, masks and audits; a held request comes back
// pending at once (the proxy answers 202) and runs once when called again after approval.
const SECRET = "mcp-upstream-secret-5c1e";
let gw: TestGateway;
let seed: Seed;
let upstream: HttpUpstream;
let agent: SeededIdentity;
let url: URL;

beforeAll(async () => {
  upstream = await startHttpUpstream({ check: (req) => req.headers.authorization === `Bearer ${SECRET}` });
  gw = await startTestGateway({ GATEHOUSE_CONSOLE_URL: "https://gatehouse.example" });
  seed = openSeed(gw);
  await addConnection(seed.db, seed.box, { name: "billing", type: "http", flags: { url: upstream.url, auth: "bearer", credential: SECRET } });
  await seedGrant(seed, "agents", "billing");
  await seedPolicy(seed, "billing", {
    defaultAction: "allow",
    rules: [
      { name: "no-customer-deletes", action: "deny", match: { kinds: ["DELETE /v1/customers/*"] } },
      { name: "admin-reviewed", action: "review", match: { kinds: ["* /v1/admin/**"] }, timeoutSeconds: 120 },
    ],
  });
  await seedMasking(seed, "billing", { detectors: { builtIn: ["email"] } });
  agent = await seedIdentity(seed, "mcp-http-agent", ["agents"]);
  url = new URL(`http://127.0.0.1:${gw.gw.ports.http}/mcp`);
}, 60_000);
afterAll(async () => {
  expect(upstream?.leaks ?? []).toEqual([]);
  await seed?.close();
  await gw?.close();
  await upstream?.stop();
});

const saw = (method: string, path: string) => upstream.seen.filter((s) => s.method === method && s.url === path).length;

describe("[MCP][HTTP] http_request through the gateway's HTTP proxy", () => {
  it("lists the connection with its tool, injects the credential (never the caller's), and masks the answer", async () => {
    const client = await connectMcp(url, agent.key);
    expect(structured(await callTool(client, "connections_list")).connections).toEqual([{ name: "billing", type: "http", tools: ["http_request"] }]);
    const r = await callTool(client, "http_request", { connection: "billing", method: "GET", path: "/customers", headers: { Authorization: "Bearer smuggled", Accept: "application/json" } });
    expect(r.isError).toBeFalsy();
    const got = structured(r) as { status: number; headers: Record<string, string>; body: string; truncated: boolean };
    expect(got.status).toBe(200);
    expect(got.headers["content-type"]).toContain("application/json");
    expect(got.body).toContain("Ann Smith");
    expect(got.body).not.toContain("ann.smith@example.com");
    expect(upstream.seen.at(-1)?.headers.authorization).toBe(`Bearer ${SECRET}`);
    const posted = structured(
      await callTool(client, "http_request", { connection: "billing", method: "POST", path: "/v1/notes?x=1", body: '{"text":"hi"}', headers: { "Content-Type": "application/json" } }),
    );
    expect(JSON.parse(posted.body as string)).toEqual({ method: "POST", path: "/v1/notes", body: '{"text":"hi"}' });
    await client.close();
  });

  it("refuses a denied request as a tool error naming the rule; the upstream never sees it", async () => {
    const client = await connectMcp(url, agent.key);
    const r = await callTool(client, "http_request", { connection: "billing", method: "DELETE", path: "/v1/customers/7" });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain("no-customer-deletes");
    expect(saw("DELETE", "/v1/customers/7")).toBe(0);
    await client.close();
  });

  it("returns pending_approval at once for a held request; review_wait reports the approval; the same call then runs once", async () => {
    const client = await connectMcp(url, agent.key);
    const args = { connection: "billing", method: "POST", path: "/v1/admin/rotate", body: '{"all":true}' };
    const held = structured(await callTool(client, "http_request", args));
    expect(held).toMatchObject({ status: "pending_approval", reviewId: expect.any(String), link: expect.stringMatching(/^https:\/\/gatehouse\.example\/reviews\//) });
    expect(saw("POST", "/v1/admin/rotate")).toBe(0);
    const waiting = structured(await callTool(client, "review_wait", { reviewId: held.reviewId, waitSeconds: 0 }));
    expect(waiting.status).toBe("pending_approval");
    await decidePendingReview(seed, "POST /v1/admin/rotate", { approve: true });
    const decided = structured(await callTool(client, "review_wait", { reviewId: held.reviewId, waitSeconds: 10 }));
    expect(decided).toMatchObject({ status: "approved", next: expect.stringContaining("same arguments") });
    const ran = structured(await callTool(client, "http_request", args));
    expect(ran.status).toBe(200);
    expect(saw("POST", "/v1/admin/rotate")).toBe(1);
    // Used up: the next identical call is held again.
    expect(structured(await callTool(client, "http_request", args)).status).toBe("pending_approval");
    expect(saw("POST", "/v1/admin/rotate")).toBe(1);
    await expect
      .poll(async () =>
        (
          await seed.db
            .select()
            .from(auditEvents)
            .where(and(eq(auditEvents.action, "mcp.tool.call"), eq(auditEvents.statementKind, "http_request")))
        ).map((e) => e.message),
      )
      .toEqual(expect.arrayContaining([expect.stringContaining("held for approval"), "POST /v1/admin/rotate: 200"]));
    await client.close();
  });
});
