import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedMasking } from "../support/seed";
import { run } from "../support/run-program";
import { startHttpFixture, type HttpFixture } from "./http-fixture";

// Go's net/http client (the standard library, what Go agents and SDKs call with), built from
// e2e/http/fixtures/go_http_probe.go: gzip asked for and decoded by the client, a redirect followed
// with the key, a chunked upload of unknown length, Server-Sent Events read as they come, a refusal
// read as JSON, over http and over https (ALPN: Go offers HTTP/2, the gateway answers in HTTP/1.1).
let f: HttpFixture;
let dir: string;
let probe: string;

beforeAll(async () => {
  f = await startHttpFixture({ masked: { auth: "bearer" } });
  await seedMasking(f.seed, "masked", { detectors: { builtIn: ["email", "payment-card"], style: "redact" }, paths: [{ path: "$.customers[*].name", style: "partial" }] });
  dir = mkdtempSync(path.join(tmpdir(), "gatehouse-go-http-"));
  probe = path.join(dir, "probe");
  // GOPATH mode, the standard library only: no module download (no network here).
  const built = await run("go", ["build", "-o", probe, path.join(import.meta.dirname, "fixtures/go_http_probe.go")], {
    env: { GO111MODULE: "off", GOPATH: "/usr/share/gocode", GOCACHE: path.join(tmpdir(), "gatehouse-go-cache") },
    timeoutMs: 200_000,
  });
  if (built.code !== 0) throw new Error(built.stderr);
}, 240_000);
afterAll(async () => {
  expect(f?.upstream.leaks ?? [], "the upstream must never see a Gatehouse key").toEqual([]);
  await f?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("[HTTP][CLIENTS][GO] Go's net/http through the proxy", () => {
  it("reads masked JSON, follows a redirect, uploads chunked, streams events and reads a refusal, over http and https", async () => {
    const https = `https://127.0.0.1:${f.gw.gw.ports.http}/proxy/masked`;
    for (const [base, ca] of [
      [f.base("masked"), []],
      [https, [path.join(f.gw.env.GATEHOUSE_DATA_DIR, "tls-cert.pem")]],
    ] as const) {
      const r = await run(probe, [base, f.agent.key, ...ca], { timeoutMs: 60_000 });
      expect(r.stderr, base).toBe("");
      const lines = r.stdout.trim().split("\n");
      expect(lines.at(-1), r.stdout).toBe("done");
      expect(lines[0], base).toBe("customers 200 HTTP/1.1 [{*** *mith [REDACTED:email]} {*** *ones [REDACTED:email]}]");
      expect(lines[1]).toBe('redirect 200 {"value":"redirected"}');
      expect(lines[2]).toBe('upload 200 {"method":"POST","path":"/v1/orders","body":"part-0;part-1;part-2;"}');
      expect(lines[3]).toBe("sse 200 text/event-stream 0 [REDACTED:email] | 1 [REDACTED:email] | 2 [REDACTED:email]");
      expect(lines[4]).toMatch(/^refused 401 Bearer.* \{"error":"unauthenticated",/);
    }
  });
});
