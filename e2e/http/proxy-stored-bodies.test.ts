import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEventsOf, seedMasking, seedPolicy } from "../support/seed";
import { CUSTOMERS } from "../support/http-upstream";
import { SECRETS, startHttpFixture, type HttpFixture } from "./http-fixture";

// A connection may keep the bodies of its requests in their audit events ("Bodies kept in the audit
// log", --store-bodies BYTES): the request as sent on and the response as its client got it (masked,
// the injected credential cut), the start of each when it is longer. Off by default: bodies are
// not stored unless the connection says so.
let f: HttpFixture;
beforeAll(async () => {
  f = await startHttpFixture({ kept: { auth: "bearer", flags: { "store-bodies": "120" } }, plain: { auth: "bearer" } });
  await seedMasking(f.seed, "kept", { detectors: { builtIn: ["email", "payment-card"] } });
  await seedPolicy(f.seed, "kept", { defaultAction: "allow", rules: [{ name: "no-exports", action: "deny", match: { kinds: ["POST /v1/exports"] } }] });
}, 120_000);
afterAll(async () => {
  expect(f?.upstream.leaks ?? []).toEqual([]);
  await f?.close();
});

const call = (connection: string, method: string, path: string, body?: string) =>
  fetch(`${f.base(connection)}${path}`, { method, headers: { authorization: `Bearer ${f.agent.key}`, ...(body ? { "content-type": "application/json" } : {}) }, body });

type Kept = { bytes: number; truncated: boolean; contentType: string | null; text?: string; binary?: true };
// Events are stored in batches: wait for the request's.
const detailsOf = async (connection: string, path: string) => {
  const find = async () => (await auditEventsOf(f.seed, "request", connection)).filter((x) => x.statement?.includes(path)).at(-1);
  await expect.poll(find, { timeout: 5000 }).toBeTruthy();
  return (await find())!.details as { requestBody?: Kept; responseBody?: Kept; status: number; bytesOut: number };
};

describe("[HTTP][AUDIT] bodies kept in the audit events when the connection asks", () => {
  it("keeps the request as sent and the response as the client got it, masked, cut at the limit", async () => {
    const sent = '{"note":"call ann@example.com","n":1}';
    const r = await call("kept", "POST", "/customers?q=1", sent);
    const got = await r.text();
    expect(r.status).toBe(200);
    expect(got).not.toContain(CUSTOMERS[0].email);
    const d = await detailsOf("kept", "/customers?q=1");
    expect(d.requestBody).toEqual({ bytes: Buffer.byteLength(sent), truncated: false, contentType: "application/json", text: '{"note":"call [REDACTED:email]","n":1}' });
    expect(d.responseBody).toMatchObject({ bytes: Buffer.byteLength(got), truncated: true, contentType: "application/json" });
    // The start of exactly what the client received (the masked body), no more than the limit.
    expect(got.startsWith(d.responseBody!.text!)).toBe(true);
    expect(Buffer.byteLength(d.responseBody!.text!)).toBeLessThanOrEqual(120);
    expect(d.responseBody!.text).toContain("[REDACTED:email]");
    for (const c of CUSTOMERS) expect(JSON.stringify(d)).not.toContain(c.email);
  });

  it("never keeps the injected credential: an upstream that echoes it is cut before the sample is taken", async () => {
    const r = await call("kept", "GET", "/headers");
    expect(await r.text()).not.toContain(SECRETS.bearer);
    const d = await detailsOf("kept", "/headers");
    expect(d.responseBody?.text).toBeTruthy();
    expect(JSON.stringify(d)).not.toContain(SECRETS.bearer);
    expect(JSON.stringify(d)).not.toContain(f.agent.key);
  });

  it("keeps only the size of a binary body, and what was read of a refused request", async () => {
    expect((await (await call("kept", "GET", "/large?bytes=5000")).arrayBuffer()).byteLength).toBe(5000);
    const bin = await detailsOf("kept", "/large?bytes=5000");
    expect(bin.responseBody).toEqual({ bytes: 5000, truncated: true, contentType: "application/octet-stream", binary: true });
    expect(bin.requestBody).toBeUndefined();

    const denied = await call("kept", "POST", "/v1/exports", '{"to":"bob@example.org"}');
    expect(denied.status).toBe(403);
    const d = await detailsOf("kept", "/v1/exports");
    expect(d.requestBody).toEqual({ bytes: 24, truncated: false, contentType: "application/json", text: '{"to":"[REDACTED:email]"}' });
    expect(d.responseBody).toBeUndefined();
  });

  it("keeps nothing on a connection that does not ask (the default)", async () => {
    const r = await call("plain", "POST", "/customers", '{"a":1}');
    expect(r.status).toBe(200);
    await r.arrayBuffer();
    const d = await detailsOf("plain", "/customers");
    expect(d.requestBody).toBeUndefined();
    expect(d.responseBody).toBeUndefined();
    expect(d.status).toBe(200);
  });
});
