import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKubeFixture, type KubeFixture } from "../kubernetes/kube-fixture";
import { decidePendingReview, seedPolicy } from "../support/seed";
import { callTool, connectMcp, structured, textOf } from "./mcp-client";

// `kubernetes_request`: an API request on a Kubernetes connection through the gateway's own /k8s/
// route as the caller (in front of the stand-in API server: no Kubernetes API server runs on these
// machines); a held one comes back pending at once and runs once when called again after approval.
let f: KubeFixture;
let url: URL;

beforeAll(async () => {
  f = await startKubeFixture(["cluster"], { GATEHOUSE_CONSOLE_URL: "https://gatehouse.example" });
  await seedPolicy(f.seed, "cluster", {
    defaultAction: "allow",
    rules: [
      { name: "no-secret-deletes", action: "deny", match: { kinds: ["delete secrets"] } },
      { name: "ns-deletes-need-a-human", action: "review", match: { kinds: ["delete namespaces"] }, timeoutSeconds: 120 },
    ],
  });
  url = new URL(`http://127.0.0.1:${f.gw.gw.ports.http}/mcp`);
}, 120_000);
afterAll(async () => {
  if (f) expect(f.api.leaks, "the API server saw a Gatehouse key").toEqual([]);
  await f?.close();
});

const nsDeletes = () => f.api.seen.filter((s) => s.method === "DELETE" && s.url.startsWith("/api/v1/namespaces/doomed")).length;

describe("[MCP][KUBERNETES] kubernetes_request through the gateway's /k8s/ route", () => {
  it("lists the connection with its tool, creates and reads objects with the cluster's credential, and refuses a denied request", async () => {
    const client = await connectMcp(url, f.agent.key);
    expect(structured(await callTool(client, "connections_list")).connections).toEqual([{ name: "cluster", type: "kubernetes", tools: ["kubernetes_request"] }]);
    const created = await callTool(client, "kubernetes_request", {
      connection: "cluster",
      method: "POST",
      path: "/api/v1/namespaces",
      body: JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: "doomed" } }),
    });
    expect(created.isError, textOf(created)).toBeFalsy();
    expect(structured(created).status).toBe(201);
    const got = structured(await callTool(client, "kubernetes_request", { connection: "cluster", method: "GET", path: "/api/v1/namespaces/doomed" }));
    expect(got.status).toBe(200);
    expect(JSON.parse(got.body as string).metadata.name).toBe("doomed");
    expect(f.api.seen.at(-1)?.headers.authorization).toBe(`Bearer ${f.api.token}`);
    const denied = await callTool(client, "kubernetes_request", { connection: "cluster", method: "DELETE", path: "/api/v1/namespaces/default/secrets/db" });
    expect(denied.isError).toBe(true);
    expect(textOf(denied)).toContain("no-secret-deletes");
    await client.close();
  });

  it("returns pending_approval at once for a held delete; after approval the same call runs once", async () => {
    const client = await connectMcp(url, f.agent.key);
    const args = { connection: "cluster", method: "DELETE", path: "/api/v1/namespaces/doomed" };
    const held = structured(await callTool(client, "kubernetes_request", args));
    expect(held).toMatchObject({ status: "pending_approval", reviewId: expect.any(String), link: expect.stringMatching(/^https:\/\/gatehouse\.example\/reviews\//) });
    expect(nsDeletes()).toBe(0);
    await decidePendingReview(f.seed, "DELETE /api/v1/namespaces/doomed", { approve: true });
    expect(structured(await callTool(client, "review_wait", { reviewId: held.reviewId, waitSeconds: 10 }))).toMatchObject({ status: "approved" });
    const ran = structured(await callTool(client, "kubernetes_request", args));
    expect(ran.status).toBe(200);
    expect(nsDeletes()).toBe(1);
    await client.close();
  });
});
