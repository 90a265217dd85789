import { afterAll, beforeAll, describe, expect, it } from "vitest";
import net from "node:net";
import { seedPolicy } from "../support/seed";
import { run } from "../support/run-program";
import { startHttpFixture, type HttpFixture } from "./http-fixture";

// Clients that abuse the proxy with raw bytes: request smuggling, header floods, malformed
// requests, paths that climb out of a rule. Each is refused, nothing of it reaches the upstream,
// and a healthy client keeps being served throughout.
let f: HttpFixture;
beforeAll(async () => {
  f = await startHttpFixture({ plain: { auth: "bearer" }, guarded: { auth: "bearer" } });
  await seedPolicy(f.seed, "guarded", {
    defaultAction: "allow",
    rules: [
      { name: "no-customer-deletes", action: "deny", match: { kinds: ["DELETE /v1/customers/*"] } },
      { name: "no-forced-jobs", action: "deny", match: { headers: { "X-Mode": "force" } } },
    ],
  });
}, 120_000);
afterAll(async () => {
  expect(f?.upstream.leaks ?? []).toEqual([]);
  await f?.close();
});

/** Sends raw bytes to the gateway's HTTP port and returns everything it answers until it closes (or 5 s pass). */
function raw(bytes: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(f.gw.gw.ports.http, "127.0.0.1");
    let out = "";
    s.on("data", (d) => (out += d.toString("latin1")));
    s.on("error", () => {});
    const t = setTimeout(() => s.destroy(), 5000);
    s.on("close", () => (clearTimeout(t), resolve(out)));
    s.write(bytes);
  });
}

/** A healthy client calling every 25 ms while `during` runs (and at least 5 times); resolves with its statuses. */
async function healthyDuring(during: () => Promise<void>): Promise<number[]> {
  const statuses: number[] = [];
  let stop = false;
  const loop = (async () => {
    while (!stop || statuses.length < 5) {
      const r = await fetch(`${f.base("plain")}/echo/healthy`, { headers: { authorization: `Bearer ${f.agent.key}` } }).catch(() => null);
      statuses.push(r?.status ?? 0);
      await r?.arrayBuffer();
      await new Promise((res) => setTimeout(res, 25));
    }
  })();
  try {
    await during();
  } finally {
    stop = true;
    await loop;
  }
  return statuses;
}

const auth = () => `Authorization: Bearer ${f.agent.key}\r\n`;

describe("[HTTP][ABUSE] bad input is refused and other clients are unaffected", () => {
  it("refuses request smuggling (Content-Length with Transfer-Encoding), header floods and malformed requests", async () => {
    let answers: string[] = [];
    const statuses = await healthyDuring(async () => {
      const smuggled = `POST /proxy/plain/upload HTTP/1.1\r\nHost: gw\r\n${auth()}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /proxy/plain/echo/smuggled HTTP/1.1\r\nHost: gw\r\n${auth()}\r\n`;
      answers = await Promise.all([
        raw(smuggled),
        // Two Content-Lengths that disagree.
        raw(`POST /proxy/plain/upload HTTP/1.1\r\nHost: gw\r\n${auth()}Content-Length: 3\r\nContent-Length: 30\r\n\r\nabc`),
        // A header section over Node's 16 KiB limit: many headers, then one huge one.
        raw(`GET /proxy/plain/echo/flood HTTP/1.1\r\nHost: gw\r\n${auth()}${Array.from({ length: 400 }, (_, i) => `X-Flood-${i}: ${"v".repeat(60)}\r\n`).join("")}\r\n`),
        raw(`GET /proxy/plain/echo/flood HTTP/1.1\r\nHost: gw\r\n${auth()}X-Big: ${"b".repeat(70_000)}\r\n\r\n`),
        raw("GARBAGE\r\n\r\n"),
        raw(`GET /proxy/plain/echo/x HTTP/1.1\r\nHost: gw\r\nBad Header Name: 1\r\n\r\n`),
        // Targets the URL parser refuses (read as an authority with a bad host): this once took the whole gateway down.
        raw(`GET //% HTTP/1.1\r\nHost: gw\r\n\r\n`),
        raw(`GET //[/proxy/plain/echo/x HTTP/1.1\r\nHost: gw\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`),
        // A TLS handshake that is not one: the TLS layer drops it.
        raw(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00])),
      ]);
    });
    // The broken handshake gets a TLS alert record (0x15), fatal, and the connection closes.
    expect(answers.at(-1)!.charCodeAt(0)).toBe(0x15);
    expect(answers.slice(0, -1).map((a) => a.split("\r\n")[0])).toEqual([
      "HTTP/1.1 400 Bad Request",
      "HTTP/1.1 400 Bad Request",
      "HTTP/1.1 431 Request Header Fields Too Large",
      "HTTP/1.1 431 Request Header Fields Too Large",
      "HTTP/1.1 400 Bad Request",
      "HTTP/1.1 400 Bad Request",
      "HTTP/1.1 400 Bad Request",
      "HTTP/1.1 400 Bad Request",
    ]);
    expect(f.upstream.seen.filter((s) => /upload|smuggled|flood/.test(s.url))).toEqual([]);
    expect(statuses.length).toBeGreaterThan(3);
    expect(new Set(statuses)).toEqual(new Set([200]));
  });

  it("judges the path it forwards: dot segments are resolved before judging, encoded ones refused", async () => {
    const climbed = await raw(`DELETE /proxy/guarded/v1/other/../customers/42 HTTP/1.1\r\nHost: gw\r\n${auth()}Connection: close\r\n\r\n`);
    expect(climbed.split("\r\n")[0]).toBe("HTTP/1.1 403 Forbidden");
    expect(climbed).toContain('"rule":"no-customer-deletes"');
    const encoded = await raw(`DELETE /proxy/guarded/v1/other/%2e%2e/customers/42 HTTP/1.1\r\nHost: gw\r\n${auth()}Connection: close\r\n\r\n`);
    expect(encoded.split("\r\n")[0]).toMatch(/^HTTP\/1\.1 40[03]/);
    const slashes = await raw(`DELETE /proxy/guarded/v1/customers%2F42 HTTP/1.1\r\nHost: gw\r\n${auth()}Connection: close\r\n\r\n`);
    expect(slashes.split("\r\n")[0]).toBe("HTTP/1.1 403 Forbidden");
    expect(f.upstream.seen.filter((s) => s.method === "DELETE")).toEqual([]);
  });

  it("tells a client that takes it for a forward proxy (HTTPS_PROXY: CONNECT) that it is not one, with a status instead of a silent close", async () => {
    const tunnel = await run(
      "curl",
      ["-sS", "--max-time", "10", "-x", `http://127.0.0.1:${f.gw.gw.ports.http}`, "--proxy-header", `Proxy-Authorization: Bearer ${f.agent.key}`, "https://api.example/v1/customers"],
      { timeoutMs: 20_000 },
    );
    expect(tunnel.code).not.toBe(0);
    expect(tunnel.stderr).toContain("CONNECT tunnel failed, response 405");
    const answer = await raw(`CONNECT api.example:443 HTTP/1.1\r\nHost: api.example:443\r\n${auth()}\r\n`);
    expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 405 Method Not Allowed");
    expect(answer).toContain("Gatehouse gateway: not a forward proxy, so CONNECT is not served. Call an HTTP API through the gateway at /proxy/<connection>/<path>");
    expect(answer).toContain("/proxy/  HTTP APIs");
    expect(f.upstream.seen.filter((s) => s.url.includes("customers") && s.method === "CONNECT")).toEqual([]);
  });

  it("judges a header sent twice by each of its values (upstreams read the first, the last or the list)", async () => {
    for (const headers of ["X-Mode: normal\r\nX-Mode: force\r\n", "X-Mode: force\r\nX-Mode: normal\r\n", "X-Mode: normal, force\r\n"]) {
      const answer = await raw(`POST /proxy/guarded/v1/jobs HTTP/1.1\r\nHost: gw\r\n${auth()}${headers}Content-Length: 0\r\nConnection: close\r\n\r\n`);
      expect(answer.split("\r\n")[0], headers).toBe("HTTP/1.1 403 Forbidden");
      expect(answer, headers).toContain('"rule":"no-forced-jobs"');
    }
    const plain = await raw(`POST /proxy/guarded/v1/jobs HTTP/1.1\r\nHost: gw\r\n${auth()}X-Mode: normal\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    expect(plain.split("\r\n")[0]).toBe("HTTP/1.1 200 OK");
    expect(f.upstream.seen.filter((s) => s.url === "/v1/jobs" && String(s.headers["x-mode"]).includes("force"))).toEqual([]);
  });

  it("with GATEHOUSE_REQUIRE_TLS refuses plain requests before reading their key, and serves https", async () => {
    const strict = await startHttpFixture({ plain: { auth: "bearer" } }, { GATEHOUSE_REQUIRE_TLS: "true" });
    try {
      const plain = await fetch(`${strict.base("plain")}/echo/x`, { headers: { authorization: `Bearer ${strict.agent.key}` } });
      expect(plain.status).toBe(403);
      expect(await plain.json()).toMatchObject({ error: "tls_required" });
      const r = await run("curl", ["-sS", "-k", "-H", `Authorization: Bearer ${strict.agent.key}`, `https://127.0.0.1:${strict.gw.gw.ports.http}/proxy/plain/echo/secure`]);
      expect(JSON.parse(r.stdout)).toEqual({ value: "secure" });
    } finally {
      await strict.close();
    }
  });
});
