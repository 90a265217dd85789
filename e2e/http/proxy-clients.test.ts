import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { request as undiciRequest } from "undici";
import path from "node:path";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { eq } from "drizzle-orm";
import { sessions } from "../../drizzle/schema/index";
import { run } from "../support/run-program";
import { seedMasking } from "../support/seed";
import { CUSTOMERS } from "../support/http-upstream";
import { SECRETS, secretForms, startHttpFixture, type HttpFixture } from "./http-fixture";

// Real clients (curl, fetch, undici, Python requests) through /proxy/<connection>/ to a real
// upstream that answers only requests carrying the injected credential and records any Gatehouse
// key it is sent. `masked` has masking rules; `plain`, `keyed` and `query` have none. How each kind of body is
// masked is in proxy-body-types.test.ts.
let f: HttpFixture;
beforeAll(async () => {
  f = await startHttpFixture({
    masked: { auth: "bearer" },
    plain: { auth: "bearer" },
    keyed: { auth: "header" },
    query: { auth: "query" },
  });
  await seedMasking(f.seed, "masked", { detectors: { builtIn: ["email", "payment-card"], style: "redact" }, paths: [{ path: "$.customers[*].name", style: "partial" }] });
}, 120_000);
afterAll(async () => {
  expect(f?.upstream.leaks ?? [], "the upstream must never see a Gatehouse key").toEqual([]);
  await f?.close();
});

const curl = (...args: string[]) => run("curl", ["-sS", "--max-time", "30", ...args], { timeoutMs: 40_000 });
const bearer = () => ({ authorization: `Bearer ${f.agent.key}` });
const noSecret = (text: string) => {
  for (const s of Object.values(SECRETS)) for (const form of secretForms(s)) expect(text, `a form of a secret (${form}) reached the client`).not.toContain(form);
};

describe("[HTTP][CLIENTS] real clients through the proxy", () => {
  it("curl with a bearer key gets the upstream's JSON, masked, with every other byte kept and Content-Length right", async () => {
    const r = await curl("-D", "-", "-H", `Authorization: Bearer ${f.agent.key}`, `${f.base("masked")}/customers`);
    expect(r.code, r.stderr).toBe(0);
    const [head, body] = r.stdout.split("\r\n\r\n");
    expect(head).toMatch(/^HTTP\/1\.1 200/);
    expect(Number(/content-length: (\d+)/i.exec(head)?.[1])).toBe(Buffer.byteLength(body));
    for (const c of CUSTOMERS) {
      expect(body).not.toContain(c.email);
      expect(body).not.toContain(c.card);
      expect(body).not.toContain(c.name);
    }
    expect(body).toContain('"email":"[REDACTED:email]"');
    expect(body).toContain('"card":"[REDACTED:payment-card]"');
    expect(body).toContain('"name":"*** *mith"');
    // A number no JavaScript number holds exactly comes through as written.
    expect(body).toContain('"cursor": 12345678901234567890');
    expect(f.upstream.seen.at(-1)?.headers.authorization).toBe(`Bearer ${SECRETS.bearer}`);
  });

  it("answers HEAD with the headers a GET gets: no upstream length on a masked connection (the masked body's differs), the upstream's on a plain one", async () => {
    const head = async (c: string) => {
      const r = await curl("-I", "-H", `Authorization: Bearer ${f.agent.key}`, `${f.base(c)}/customers`);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout;
    };
    const masked = await head("masked");
    expect(masked).toMatch(/^HTTP\/1\.1 200/);
    expect(masked).toMatch(/content-type: application\/json/i);
    expect(masked).not.toMatch(/content-length/i);
    const plain = await head("plain");
    const got = await curl("-H", `Authorization: Bearer ${f.agent.key}`, `${f.base("plain")}/customers`);
    expect(Number(/content-length: (\d+)/i.exec(plain)?.[1])).toBe(Buffer.byteLength(got.stdout));
  });

  it("masks response headers with the detectors too (a redirect, a download name), on a masked connection only", async () => {
    const c = CUSTOMERS[0];
    const masked = await curl("-D", "-", "-o", "/dev/null", "-H", `Authorization: Bearer ${f.agent.key}`, `${f.base("masked")}/customer-export`);
    expect(masked.code, masked.stderr).toBe(0);
    expect(masked.stdout).toMatch(/^HTTP\/1\.1 303/);
    expect(masked.stdout).not.toContain(c.email);
    expect(masked.stdout).not.toContain(c.card);
    expect(masked.stdout).toMatch(/location: \/proxy\/masked\/customers\?email=\[REDACTED:email\]\r\n/i);
    expect(masked.stdout).toMatch(/content-disposition: attachment; filename="\[REDACTED:email\]/i);
    expect(masked.stdout).toMatch(/x-customer-card: \[REDACTED:payment-card\]/i);
    const plain = await curl("-D", "-", "-o", "/dev/null", "-H", `Authorization: Bearer ${f.agent.key}`, `${f.base("plain")}/customer-export`);
    expect(plain.stdout).toContain(`filename="${c.email}.json"`);
  });

  it("serves https on the same port with the gateway's certificate (verified by curl against it), beside plain http", async () => {
    const url = `https://127.0.0.1:${f.gw.gw.ports.http}/proxy/masked/customers`;
    const r = await curl("--cacert", path.join(f.gw.env.GATEHOUSE_DATA_DIR, "tls-cert.pem"), "-H", `Authorization: Bearer ${f.agent.key}`, url);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).customers.map((c: { email: string }) => c.email)).toEqual(["[REDACTED:email]", "[REDACTED:email]"]);
    const events = await f.seed.db.select().from(sessions).where(eq(sessions.protocol, "http"));
    expect(
      events.some((e) => e.clientAddr === "127.0.0.1"),
      "the client's address is known through TLS too",
    ).toBe(true);
  });

  it("takes the key as a basic-auth password and in Proxy-Authorization; the client's own Authorization and cookies never reach the upstream", async () => {
    const basic = await curl("-u", `agent:${f.agent.key}`, `${f.base("plain")}/echo/basic`);
    expect(JSON.parse(basic.stdout)).toEqual({ value: "basic" });
    const proxied = await curl("-H", `Proxy-Authorization: Bearer ${f.agent.key}`, "-H", "Authorization: Bearer clients-own-token", "-b", "sid=abc", `${f.base("plain")}/headers`);
    const echoed = JSON.parse(proxied.stdout) as { headers: Record<string, string> };
    expect(echoed.headers.cookie).toBeUndefined();
    expect(echoed.headers["proxy-authorization"]).toBeUndefined();
    // The upstream echoes the Authorization it got: the injected one, cut out on the way back.
    expect(echoed.headers.authorization).toBe(`Bearer ${"*".repeat(SECRETS.bearer.length)}`);
    expect(f.upstream.seen.at(-1)?.headers.authorization).toBe(`Bearer ${SECRETS.bearer}`);
  });

  it("refuses a request without a credential with 401 and a challenge, and a forged one alike", async () => {
    const none = await curl("-D", "-", `${f.base("plain")}/echo/x`);
    expect(none.stdout).toMatch(/^HTTP\/1\.1 401/);
    expect(none.stdout).toMatch(/www-authenticate: Bearer realm="gatehouse"/i);
    const forged = await curl("-w", "\n%{http_code}", "-H", "Authorization: Bearer ghk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", `${f.base("plain")}/echo/x`);
    const [body, code] = forged.stdout.split("\n");
    expect(code).toBe("401");
    expect(JSON.parse(body)).toMatchObject({ error: "unauthenticated", message: expect.any(String) });
  });

  it("cuts every form of the injected secret out of echoed headers and bodies: header, query parameter", async () => {
    const keyed = await curl("-H", `Authorization: Bearer ${f.agent.key}`, `${f.base("keyed")}/headers`);
    expect(JSON.parse(keyed.stdout).headers["x-api-key"]).toBe("*".repeat(SECRETS.header.length));
    const query = await curl("-D", "-", "-H", `Authorization: Bearer ${f.agent.key}`, `${f.base("query")}/headers?api_key=mine&x=1`);
    noSecret(query.stdout);
    expect(query.stdout).toContain("x=1");
    const seen = new URL(f.upstream.seen.at(-1)!.url, "http://x").searchParams;
    expect(seen.getAll("api_key")).toEqual([SECRETS.query]);
    // A redirect that would carry the secret in its Location.
    const redirect = await curl("-D", "-", "-o", "/dev/null", "-H", `Authorization: Bearer ${f.agent.key}`, `${f.base("query")}/redirect`);
    noSecret(redirect.stdout);
    expect(redirect.stdout).toMatch(/location: \/proxy\/query\/echo\/redirected\?x=1/i);
  });

  it("passes redirects back without following them: to the upstream itself as the gateway's path, to another host unchanged", async () => {
    const follow = await curl("-L", "-H", `Authorization: Bearer ${f.agent.key}`, `${f.base("plain")}/redirect`);
    expect(JSON.parse(follow.stdout)).toEqual({ value: "redirected" });
    const away = await fetch(`${f.base("plain")}/redirect-away`, { headers: bearer(), redirect: "manual" });
    expect(away.status).toBe(302);
    expect(away.headers.get("location")).toBe("https://elsewhere.example/landing");
  });

  it("answers a byte range of a masked response with the whole body, masked (a fragment cannot be masked by path); unmasked connections keep ranges", async () => {
    // Bytes 15-80 hold the first customer's name, which only the path rule masks.
    const masked = await curl("-D", "-", "-H", `Authorization: Bearer ${f.agent.key}`, "-H", "Range: bytes=15-80", `${f.base("masked")}/customers`);
    expect(masked.stdout).toMatch(/^HTTP\/1\.1 200 /);
    expect(masked.stdout).not.toContain("Ann Smith");
    expect(masked.stdout).toContain('"email":"[REDACTED:email]"');
    const plain = await curl("-D", "-", "-H", `Authorization: Bearer ${f.agent.key}`, "-H", "Range: bytes=0-9", `${f.base("plain")}/customers`);
    expect(plain.stdout).toMatch(/^HTTP\/1\.1 206 /);
    expect(plain.stdout).toMatch(/content-range: bytes 0-9\/\d+/i);
    expect(plain.stdout.endsWith('{"customer')).toBe(true);
  });

  it("streams chunked text and Server-Sent Events as they come, masked line by line", async () => {
    const chunked = await curl("-N", "-H", `Authorization: Bearer ${f.agent.key}`, `${f.base("masked")}/chunked`);
    expect(chunked.stdout.split("\n").filter(Boolean)).toEqual([0, 1, 2, 3, 4].map((i) => `line ${i} contact [REDACTED:email]`));
    const res = await fetch(`${f.base("masked")}/sse?events=3&every=400`, { headers: bearer() });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const reader = res.body!.getReader();
    const arrivals: Array<{ at: number; text: string }> = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) arrivals.push({ at: Date.now(), text: Buffer.from(r.value).toString() });
    const all = arrivals.map((a) => a.text).join("");
    expect(all.match(/data: /g)).toHaveLength(3);
    expect(all).not.toMatch(/dave\d@example\.com/);
    expect(all).toContain('"email":"[REDACTED:email]"');
    // Events arrive as they come (400 ms apart upstream), not all at the end: in separate reads, the
    // first long before the last (each may wait up to 300 ms of quiet so that a value split across
    // events is seen whole: 800 ms upstream, about 500 ms here).
    expect(arrivals.filter((a) => a.text.includes("data: ")).length).toBeGreaterThanOrEqual(2);
    expect(arrivals.at(-1)!.at - arrivals[0].at).toBeGreaterThan(350);
  });

  it("asks for an upload (Expect: 100-continue) only once the request is admitted: a refused one never sends its body", async () => {
    const file = path.join(tmpdir(), `gatehouse-continue-${process.pid}.bin`);
    writeFileSync(file, Buffer.alloc(20_000_000, 7));
    try {
      const upload = (key: string) => curl("-v", "-H", "Expect: 100-continue", "--data-binary", `@${file}`, "-H", `Authorization: Bearer ${key}`, `${f.base("plain")}/upload`);
      const refused = await upload("ghk_forged");
      expect(refused.code, refused.stderr).toBe(0);
      expect(refused.stderr).toMatch(/< HTTP\/1\.1 401/);
      expect(refused.stderr).not.toMatch(/< HTTP\/1\.1 100 Continue/);
      expect(refused.stderr).toMatch(/< Connection: close/i);
      const taken = await upload(f.agent.key);
      expect(taken.code, taken.stderr).toBe(0);
      expect(taken.stderr).toMatch(/< HTTP\/1\.1 100 Continue[\s\S]*< HTTP\/1\.1 200/);
      expect(JSON.parse(taken.stdout)).toMatchObject({ bytes: 20_000_000, sha256: createHash("sha256").update(readFileSync(file)).digest("hex") });
    } finally {
      rmSync(file, { force: true });
    }
  });

  it("an upstream that answers before reading an upload: the rest is dropped, the upload ends and the client's connection goes on", async () => {
    const file = path.join(tmpdir(), `gatehouse-early-${process.pid}.bin`);
    writeFileSync(file, Buffer.alloc(20_000_000, 7));
    try {
      // /echo answers at once without reading the body; curl sends the file to both addresses on one connection.
      const r = await curl("-v", "--data-binary", `@${file}`, "-H", `Authorization: Bearer ${f.agent.key}`, `${f.base("plain")}/echo/early`, `${f.base("plain")}/upload`);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain("Re-using existing connection");
      const [first, second] = r.stdout.split(/(?<=\})(?=\{)/);
      expect(JSON.parse(first)).toEqual({ value: "early" });
      expect(JSON.parse(second)).toMatchObject({ bytes: 20_000_000 });
    } finally {
      rmSync(file, { force: true });
    }
  });

  it("downloads and uploads large bodies through fetch and undici, byte for byte", async () => {
    const bytes = 24 * 1024 * 1024;
    const down = await undiciRequest(`${f.base("plain")}/large?bytes=${bytes}`, { headers: bearer() });
    let got = 0;
    const hash = createHash("sha256");
    for await (const c of down.body) {
      got += (c as Buffer).length;
      hash.update(c as Buffer);
    }
    expect(got).toBe(bytes);
    expect(down.headers["content-length"]).toBe(String(bytes));
    const upload = Buffer.alloc(5 * 1024 * 1024 + 17, "0123456789abcdef");
    const res = await fetch(`${f.base("plain")}/upload`, { method: "POST", headers: { ...bearer(), "content-type": "application/octet-stream" }, body: upload });
    expect(await res.json()).toEqual({ bytes: upload.length, sha256: createHash("sha256").update(upload).digest("hex"), contentType: "application/octet-stream" });
    // Chunked upload (no Content-Length): a stream body.
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 4; i++) c.enqueue(upload.subarray(i * 1024 * 1024, (i + 1) * 1024 * 1024));
        c.close();
      },
    });
    const chunkedUp = await fetch(`${f.base("plain")}/upload`, { method: "POST", headers: bearer(), body: stream, duplex: "half" } as RequestInit);
    expect(((await chunkedUp.json()) as { bytes: number }).bytes).toBe(4 * 1024 * 1024);
  });

  it("works with Python requests, the key as bearer or as basic-auth password", async () => {
    const script = [
      "import json, sys, requests",
      "base, key = sys.argv[1], sys.argv[2]",
      "s = requests.Session()",
      "s.headers['Authorization'] = 'Bearer ' + key",
      "a = s.get(base + '/customers', timeout=30)",
      "b = requests.get(base + '/echo/hello', auth=('agent', key), timeout=30)",
      "print(json.dumps({'a': a.status_code, 'emails': [c['email'] for c in a.json()['customers']], 'b': b.json()}))",
    ].join("\n");
    const r = await run("python3", ["-c", script, f.base("masked"), f.agent.key], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ a: 200, emails: ["[REDACTED:email]", "[REDACTED:email]"], b: { value: "hello" } });
  });

  it("works with the JDK's HttpClient, which asks every http:// request to upgrade to h2c: answered in HTTP/1.1 on one connection", async () => {
    const r = await run("java", [path.join(import.meta.dirname, "fixtures/JavaHttpProbe.java"), f.base("masked"), f.agent.key], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const [customers, posted, again] = r.stdout.trim().split("\n");
    expect(customers).toMatch(/^200 HTTP_1_1 /);
    expect(JSON.parse(customers.replace(/^200 HTTP_1_1 /, "")).customers.map((c: { email: string }) => c.email)).toEqual(["[REDACTED:email]", "[REDACTED:email]"]);
    expect(posted).toBe('200 HTTP_1_1 {"method":"POST","path":"/v1/orders","body":"{\\"sku\\":\\"pen\\",\\"qty\\":2}"}');
    expect(again).toBe('200 HTTP_1_1 {"value":"again"}');
  });

  it("answers curl's --http2 on http:// (an h2c upgrade) in HTTP/1.1, a body and keep-alive included", async () => {
    const r = await curl(
      "-v",
      "--http2",
      "-H",
      `Authorization: Bearer ${f.agent.key}`,
      "--data-binary",
      "a=1",
      `${f.base("plain")}/v1/form`,
      "--next",
      "--http2",
      "-H",
      `Authorization: Bearer ${f.agent.key}`,
      `${f.base("plain")}/echo/second`,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('{"method":"POST","path":"/v1/form","body":"a=1"}{"value":"second"}');
    expect(r.stderr).toMatch(/Re-using existing connection/i);
    expect(r.stderr).not.toMatch(/< HTTP\/1\.1 101/);
  });

  it("tells an HTTP/2 client with prior knowledge, in HTTP/2, that HTTP/1.1 is required (GOAWAY HTTP_1_1_REQUIRED)", async () => {
    const r = await curl("-v", "--http2-prior-knowledge", "-H", `Authorization: Bearer ${f.agent.key}`, `${f.base("plain")}/echo/h2`);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/GOAWAY, error=13/);
    // Node's own HTTP/2 client reads the reason too.
    const script = [
      "const c = require('node:http2').connect(process.argv[1]);",
      "c.on('goaway', (code, last, data) => console.log(JSON.stringify({ code, why: String(data) })));",
      "c.on('error', () => {});",
      "c.request({ ':path': '/proxy/plain/echo/h2' }).on('error', () => c.close());",
    ].join("\n");
    const n = await run(process.execPath, ["-e", script, `http://127.0.0.1:${f.gw.gw.ports.http}`], { timeoutMs: 30_000 });
    expect(JSON.parse(n.stdout)).toEqual({ code: 13, why: expect.stringMatching(/HTTP\/1\.1/) });
    // The port still serves HTTP/1.1 after it.
    expect((await curl("-H", `Authorization: Bearer ${f.agent.key}`, `${f.base("plain")}/echo/after`)).stdout).toBe('{"value":"after"}');
  });
});
