import { afterAll, beforeAll, describe, expect, it } from "vitest";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { connectionTypeOf } from "../registry";
import { httpFormSchema } from "./http";

// Test connection and the console form of an HTTP connection. The upstream is a real Node HTTP
// server in this process that only answers its own token.
let server: http.Server;
let base: string;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    const ok = req.headers.authorization === "Bearer right-token" || new URL(req.url ?? "/", "http://x").searchParams.get("key") === "right-token";
    res.writeHead(ok ? 200 : 401, { server: "test-api/1.0" }).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("[CONNECTIONS][HTTP] Test connection does a real request with the credential injected", () => {
  const http_ = connectionTypeOf("http");
  const settings = (extra: Record<string, unknown> = {}) => http_.parseSettings({ name: "api", type: "http", settings: { baseUrl: base, ...extra } });
  const test = (s: ReturnType<typeof settings>, credential?: string) => http_.test({ settings: s, secret: { credential }, form: {} as never });

  it("reports the upstream's answer, and a refused credential as a failure", async () => {
    expect(await test(settings(), "right-token")).toMatchObject({ ok: true, serverVersion: "HTTP 200 (test-api/1.0)" });
    expect(await test(settings({ auth: "query", authName: "key" }), "right-token")).toMatchObject({ ok: true });
    expect(await test(settings(), "wrong-token")).toMatchObject({ ok: false, error: "the upstream refused the credential (HTTP 401)" });
  });

  it("names an unreachable upstream without the secret", async () => {
    const r = await test(http_.parseSettings({ name: "api", type: "http", settings: { baseUrl: "http://127.0.0.1:9/x" } }), "right-token");
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/ECONNREFUSED/);
    expect(JSON.stringify(r)).not.toContain("right-token");
  });
});

describe("[CONNECTIONS][HTTP] the console form", () => {
  it("stores the settings it was given and seals the credential; empty numbers keep their defaults", async () => {
    const form = httpFormSchema.parse({
      type: "http",
      name: "billing-api",
      baseUrl: ` ${base} `,
      auth: "header",
      authName: "X-API-Key",
      credential: "k-1",
      tlsVerify: "false",
      timeoutMs: "",
      maxBodyBytes: "65536",
    });
    const plan = await connectionTypeOf("http").form.plan(form);
    expect(plan.typedSecrets).toEqual({ credential: "k-1" });
    expect(plan.settings).toEqual({ baseUrl: base, auth: "header", authName: "X-API-Key", tlsVerify: false, maxBodyBytes: 65536, oversizeBodies: "stream", otherBodies: "pass", heldRequests: "wait" });
    expect(connectionTypeOf("http").settingsSchema.safeParse(plan.settings).success).toBe(true);
    expect(httpFormSchema.safeParse({ ...form, baseUrl: "ftp://x" }).success).toBe(false);
    expect(httpFormSchema.safeParse({ ...form, extraHeaders: "Host: evil" }).success).toBe(false);
  });
});
