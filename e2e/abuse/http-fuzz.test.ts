import { afterAll, beforeAll, describe, expect, it } from "vitest";
import net from "node:net";
import { startHttpFixture, type HttpFixture } from "../http/http-fixture";
import { fuzzSeed, rng, type Rng } from "../support/seeded-rng";
import { startHealthyLoop } from "../support/healthy-loop";

// A fuzzer for the HTTP proxy (issue 13): raw TCP clients carrying a real key send random and
// mutated requests to /proxy/ (odd methods, paths and versions, header garbage, lying and duplicated
// lengths, chunked-encoding mutations, random bodies, pipelined requests, bodies cut short) while a
// healthy fetch client calls every 25 ms and must get its exact answer every time. The upstream
// is a real HTTP server that records any Gatehouse key it is sent: none may reach it.
const SEED = fuzzSeed();
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 300);
const MiB = 1024 * 1024;
let f: HttpFixture;

beforeAll(async () => {
  f = await startHttpFixture({ plain: { auth: "bearer" } });
}, 120_000);
afterAll(async () => {
  await f?.close();
});

const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "get", "G\x00T", "GET GET", "X".repeat(300), ""];
const PATHS = [
  "echo/x",
  "upload",
  "headers",
  "customers",
  "v1/customers/1",
  "large",
  "chunked",
  "redirect",
  "",
  "echo/%00",
  "../../etc/passwd",
  "%2e%2e/%2e%2e/x",
  "echo/" + "a".repeat(9000),
  "echo/\u00e9\u0000",
  "echo/x?api_key=mine&&&==",
  "echo/x#frag",
];
const VERSIONS = ["HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.1x", "HTTP/9", ""];

function header(r: Rng, key: string): string {
  switch (r.int(16)) {
    case 0:
      return `Content-Length: ${r.pick(["-1", "99999999999", "1e3", " 5", "5, 6", "0x10", ""])}\r\n`;
    case 1:
      return `Content-Length: 5\r\nContent-Length: 7\r\n`;
    case 2:
      return `Transfer-Encoding: ${r.pick(["chunked", "gzip, chunked", "chunked ", "xchunked", "identity", "chunked, chunked"])}\r\n`;
    case 3:
      return `${r
        .bytes(1 + r.int(30))
        .toString("latin1")
        .replace(/[\r\n:]/g, "")}: ${r
        .bytes(r.int(60))
        .toString("latin1")
        .replace(/[\r\n]/g, "")}\r\n`;
    case 4:
      return `X-Long: ${"v".repeat(r.int(20_000))}\r\n`;
    case 5:
      return ` folded continuation\r\n`;
    case 6:
      return `Authorization: Bearer ${key}\r\n`; // a second copy
    case 7:
      return `Authorization: ${r.pick(["Basic Zm9vOmJhcg==", "Bearer", "Bearer " + key + "x", ""])}\r\n`;
    case 8:
      return `Expect: 100-continue\r\n`;
    case 9:
      return `Connection: ${r.pick(["upgrade", "close", "keep-alive, Authorization", "x-api-key"])}\r\nUpgrade: ${r.pick(["websocket", "h2c", "garbage"])}\r\n`;
    case 10:
      return `Host: ${r.pick(["", "a b", "evil.example", "127.0.0.1:1"])}\r\n`;
    case 11:
      return `Content-Encoding: ${r.pick(["gzip", "br", "deflate", "garbage"])}\r\n`;
    case 12:
      return `X-Forwarded-For: ${r.pick(["1.2.3.4", "\x00", "x".repeat(5000)])}\r\n`;
    default:
      return `X-${r.int(1000)}: ${r.int(1e9)}\r\n`;
  }
}

function chunkedBody(r: Rng): string {
  const parts: string[] = [];
  for (let i = 0, n = r.int(5); i < n; i++) {
    const data = r.bytes(r.int(3000)).toString("latin1");
    switch (r.int(6)) {
      case 0:
        parts.push(`${r.pick(["zz", "-5", "ffffffffffffffff", "1;ext=" + "e".repeat(3000), " 4"])}\r\n${data}\r\n`);
        break;
      case 1:
        parts.push(`${data.length.toString(16)}\r\n${data}`); // no CRLF after the data
        break;
      default:
        parts.push(`${data.length.toString(16)}\r\n${data}\r\n`);
    }
  }
  parts.push(r.pick(["0\r\n\r\n", "0\r\nX-Trailer: y\r\n\r\n", "0\r\n", ""]));
  return parts.join("");
}

/** A well-formed request with a random body, so that half the traffic reaches the proxy's pipeline and the upstream. */
function sane(r: Rng, key: string): Buffer {
  const body = r.int(2) ? r.bytes(r.int(50_000)) : Buffer.alloc(0);
  const chunked = body.length > 0 && r.int(2) === 0;
  const framing = chunked ? "Transfer-Encoding: chunked\r\n" : `Content-Length: ${body.length}\r\n`;
  const payload = chunked ? Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from("\r\n0\r\n\r\n")]) : body;
  const head = `${r.pick(METHODS.slice(0, 8))} /proxy/plain/${r.pick(PATHS.slice(0, 8))} HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nAuthorization: Bearer ${key}\r\n${framing}Content-Type: ${r.pick(["application/json", "text/plain", "application/octet-stream"])}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, "latin1"), payload]);
}

/** One random request (sometimes two pipelined, sometimes cut short), its head and body. */
function request(r: Rng, key: string): Buffer {
  if (r.int(2)) return sane(r, key);
  const head = `${r.pick(METHODS)} /proxy/${r.int(10) ? "plain" : r.pick(["nope", "", "plain/../plain"])}/${r.pick(PATHS)} ${r.pick(VERSIONS)}\r\n`;
  const headers = [r.int(10) ? `Host: gw\r\n` : "", r.int(10) ? `Authorization: Bearer ${key}\r\n` : "", ...Array.from({ length: r.int(5) }, () => header(r, key))];
  const body = r.pick([() => "", () => chunkedBody(r), () => r.bytes(r.int(20_000)).toString("latin1")])();
  const length = r.int(3) === 0 && body ? `Content-Length: ${r.int(2) ? body.length : body.length + r.pick([-3, 5, 10_000])}\r\n` : "";
  const bytes = Buffer.from(head + headers.join("") + length + "\r\n" + body, "latin1");
  if (r.int(6) === 0) return Buffer.concat([bytes, request(r, key)]);
  return r.int(8) === 0 ? bytes.subarray(0, r.int(bytes.length)) : bytes;
}

async function send(r: Rng, key: string): Promise<{ answered: boolean; status: string }> {
  const s = net.connect(f.gw.gw.ports.http, "127.0.0.1");
  let out = "";
  s.on("data", (d) => (out += d.toString("latin1")));
  s.on("error", () => {});
  const closed = new Promise<void>((resolve) => s.once("close", () => resolve()));
  s.write(request(r, key));
  await Promise.race([closed, new Promise((res) => setTimeout(res, 300 + r.int(400)))]);
  s.destroy();
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(out)?.[1] ?? "none";
  return { answered: status !== "none", status };
}

describe("[ABUSE][FUZZ][HTTP] random and mutated requests to the proxy", () => {
  it(`never fails a healthy client, leaks no key upstream, and keeps the gateway bounded (seed ${SEED}, ${REQUESTS} requests)`, async () => {
    const r = rng(SEED);
    const healthy = startHealthyLoop(async (i) => {
      const res = await fetch(`${f.base("plain")}/echo/healthy-${i}`, { headers: { authorization: `Bearer ${f.agent.key}` } });
      const body = await res.text();
      if (res.status !== 200 || JSON.parse(body).value !== `healthy-${i}`) return `call ${i}: ${res.status} ${body.slice(0, 200)}`;
    }, 25);
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 100);
    const statuses = new Map<string, number>();
    const started = performance.now();
    for (let i = 0; i < REQUESTS; i += 8) {
      const batch = await Promise.all(Array.from({ length: Math.min(8, REQUESTS - i) }, () => send(r, f.agent.key)));
      for (const b of batch) statuses.set(b.status, (statuses.get(b.status) ?? 0) + 1);
    }
    const fuzzMs = performance.now() - started;
    const { runs: calls, failures } = await healthy.stop();
    clearInterval(sampler);

    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThan(20);
    expect(f.upstream.leaks).toEqual([]);
    // No 5xx other than the proxy's own refusals of what it cannot pass on (502 from the upstream's answer to garbage it was sent is the upstream's).
    expect([...statuses.keys()].filter((s) => s === "500")).toEqual([]);
    const growth = (process.memoryUsage().rss - rssBefore) / MiB;
    const byStatus = [...statuses.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([s, n]) => `${s}: ${n}`)
      .join(", ");
    console.log(
      `[ABUSE][FUZZ][HTTP] seed ${SEED}: ${REQUESTS} fuzzed requests in ${(fuzzMs / 1000).toFixed(1)} s (answers ${byStatus}); healthy: ${calls} calls, 0 failures; ` +
        `RSS ${(rssBefore / MiB).toFixed(0)} MiB before, peak ${(rssPeak / MiB).toFixed(0)}, after ${(process.memoryUsage().rss / MiB).toFixed(0)} (+${growth.toFixed(0)})`,
    );
    expect(growth).toBeLessThan(200);
  }, 120_000);
});
