import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../support/run-program";
import { seedMasking } from "../support/seed";
import { CUSTOMERS } from "../support/http-upstream";
import { startHttpFixture, type HttpFixture } from "./http-fixture";

// How each kind of response body is masked on its way through /proxy/<connection>/ (proxy-clients.test.ts has
// the clients): JSON whatever type it is served under, JSON lines, text under application/ types, bodies masking
// cannot read (UTF-16, a transfer coding), compressed ones, and JSON larger than the connection buffers.
// `masked` has path and detector rules; `small` refuses what it cannot buffer; `streamed` masks it as it streams.
let f: HttpFixture;
beforeAll(async () => {
  f = await startHttpFixture({
    masked: { auth: "bearer" },
    small: { auth: "bearer", flags: { "max-body-bytes": "4096", "oversize-bodies": "refuse" } },
    streamed: { auth: "bearer", flags: { "max-body-bytes": "4096" } },
  });
  await seedMasking(f.seed, "masked", { detectors: { builtIn: ["email", "payment-card"], style: "redact" }, paths: [{ path: "$.customers[*].name", style: "partial" }] });
  await seedMasking(f.seed, "small", { detectors: { builtIn: ["email"] } });
  await seedMasking(f.seed, "streamed", { detectors: { builtIn: ["email"] }, paths: [{ path: "$.rows[*].note", style: "redact" }] });
}, 120_000);
afterAll(async () => {
  expect(f?.upstream.leaks ?? [], "the upstream must never see a Gatehouse key").toEqual([]);
  await f?.close();
});

const curl = (...args: string[]) => run("curl", ["-sS", "--max-time", "30", ...args], { timeoutMs: 40_000 });
const bearer = () => ({ authorization: `Bearer ${f.agent.key}` });

describe("[HTTP][BODIES] response bodies masked by what they are", () => {
  it("masks a JSON body by its paths whatever type it is served as (text/plain, text/json, none), when its length is declared", async () => {
    for (const type of ["text/plain; charset=utf-8", "text/json", "none", "application/javascript"]) {
      const r = await fetch(`${f.base("masked")}/customers-as?type=${encodeURIComponent(type)}`, { headers: { authorization: `Bearer ${f.agent.key}` } });
      const body = await r.text();
      expect(r.status, type).toBe(200);
      expect(Number(r.headers.get("content-length")), type).toBe(Buffer.byteLength(body));
      for (const c of CUSTOMERS) expect(body, type).not.toContain(c.name);
      expect(body, type).toContain('"name":"*** *mith"');
      expect(body, type).toContain('"email":"[REDACTED:email]"');
    }
    // JSON lines, and Python's NaN, served as application/json: every document masked by the path rule.
    for (const shape of ["lines", "nan"]) {
      const r = await fetch(`${f.base("masked")}/customers-as?type=application/json&shape=${shape}`, { headers: { authorization: `Bearer ${f.agent.key}` } });
      const body = await r.text();
      for (const c of CUSTOMERS) expect(body, shape).not.toContain(c.name);
      expect(body.match(/"name":"\*\*\* \*mith"/g)?.length, shape).toBe(CUSTOMERS.filter((c) => c.name.endsWith("Smith")).length);
    }
    // Served as JSON but not JSON (a comment first): path rules cannot be applied, so it is refused; without path rules the detectors read it.
    const unreadable = await fetch(`${f.base("masked")}/customers-as?type=application/json&shape=comment`, { headers: { authorization: `Bearer ${f.agent.key}` } });
    expect(unreadable.status).toBe(502);
    expect(await unreadable.json()).toMatchObject({ error: "unmaskable_body", message: expect.stringContaining("does not read as JSON") });
    const scanned = await fetch(`${f.base("small")}/customers-as?type=application/json&shape=comment`, { headers: { authorization: `Bearer ${f.agent.key}` } });
    const text = await scanned.text();
    expect(scanned.status).toBe(200);
    expect(text).toContain("/* page 1 */");
    for (const c of CUSTOMERS) expect(text).not.toContain(c.email);
  });

  it("masks JSON lines by their paths under every type they are served as (NDJSON, JSON Lines, JSON text sequences), each document from its root", async () => {
    for (const type of ["application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines", "application/jsonlines; charset=utf-8", "application/json-seq"]) {
      const r = await fetch(`${f.base("masked")}/customers-as?type=${encodeURIComponent(type)}&shape=${type.includes("seq") ? "seq" : "lines"}`, { headers: bearer() });
      const body = await r.text();
      expect(r.status, type).toBe(200);
      for (const c of CUSTOMERS) {
        expect(body, type).not.toContain(c.name);
        expect(body, type).not.toContain(c.email);
      }
      expect(body.match(/"name":"\*\*\* \*mith"/g)?.length, `${type}: ${body}`).toBe(CUSTOMERS.filter((c) => c.name.endsWith("Smith")).length);
      expect(body.split("\n").filter(Boolean), type).toHaveLength(CUSTOMERS.length);
    }
    // Text under types that are not text/*: the detectors read it (these passed unmasked as "other" bodies).
    for (const type of ["application/csv", "application/x-csv", "application/x-yaml", "application/toml", "application/x-javascript", "application/sql"]) {
      const body = await (await fetch(`${f.base("masked")}/customers-as?type=${encodeURIComponent(type)}&shape=lines`, { headers: bearer() })).text();
      for (const c of CUSTOMERS) expect(body, type).not.toContain(c.email);
      expect(body, type).toContain("[REDACTED:email]");
    }
  });

  it("refuses a masked body in UTF-16 (502 unmaskable_body): masking reads ASCII-compatible text only", async () => {
    const r = await fetch(`${f.base("masked")}/customers-as?encoding=utf16le&type=${encodeURIComponent("application/json; charset=utf-16le")}`, {
      headers: { authorization: `Bearer ${f.agent.key}` },
    });
    const raw = Buffer.from(await r.arrayBuffer());
    for (const c of CUSTOMERS) expect(raw.toString("utf16le")).not.toContain(c.name);
    expect(r.status).toBe(502);
    expect(JSON.parse(raw.toString())).toMatchObject({ error: "unmaskable_body", message: expect.stringContaining("utf-16le") });
    // Without a charset, but with UTF-16's byte-order mark.
    const bom = await fetch(`${f.base("masked")}/customers-as?encoding=utf16le&bom=1&type=application/json`, { headers: { authorization: `Bearer ${f.agent.key}` } });
    expect(bom.status).toBe(502);
    expect(await bom.json()).toMatchObject({ error: "unmaskable_body" });
  });

  it("refuses a masked body under a transfer coding it cannot read (Transfer-Encoding: gzip, chunked) instead of passing it compressed", async () => {
    const r = await fetch(`${f.base("masked")}/customers.te-gz`, { headers: { authorization: `Bearer ${f.agent.key}` } });
    const raw = Buffer.from(await r.arrayBuffer());
    let inflated = "";
    try {
      inflated = zlib.gunzipSync(raw).toString();
    } catch {
      // not gzip: nothing compressed came through
    }
    for (const c of CUSTOMERS) expect(inflated).not.toContain(c.name);
    expect(r.status).toBe(502);
    expect(JSON.parse(raw.toString())).toMatchObject({ error: "upstream_encoding" });
  });

  it("decodes a gzip body to mask it and sends it plain with the right length", async () => {
    const r = await curl("--compressed", "-D", "-", "-H", `Authorization: Bearer ${f.agent.key}`, `${f.base("masked")}/customers.gz`);
    const [head, body] = r.stdout.split("\r\n\r\n");
    expect(head).not.toMatch(/content-encoding/i);
    const doc = JSON.parse(body) as { customers: Array<{ email: string }> };
    expect(doc.customers.map((c) => c.email)).toEqual(["[REDACTED:email]", "[REDACTED:email]"]);
  });

  it("refuses a JSON response larger than the connection masks whole (its setting), and passes binary ones", async () => {
    const r = await fetch(`${f.base("small")}/large.json?rows=500`, { headers: bearer() });
    expect(r.status).toBe(502);
    expect(await r.json()).toMatchObject({ error: "response_too_large" });
    const bin = await fetch(`${f.base("small")}/large?bytes=100000`, { headers: bearer() });
    expect(bin.status).toBe(200);
    expect((await bin.arrayBuffer()).byteLength).toBe(100000);
  });

  it("masks a JSON response larger than the connection buffers as it streams (the default), path rules included", async () => {
    // 500 rows, about 30 KB, against a limit of 4,096 bytes: streamed, every row masked by its path rule and the detectors.
    const r = await fetch(`${f.base("streamed")}/large.json?rows=500`, { headers: bearer() });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-length")).toBeNull();
    const text = await r.text();
    expect(text).not.toMatch(/@example\.com|"row \d+"/);
    const { rows } = JSON.parse(text) as { rows: Array<{ id: number; email: string; note: string }> };
    expect(rows).toHaveLength(500);
    expect(rows.every((row, i) => row.id === i && row.email === "[REDACTED:email]" && row.note === "[REDACTED]")).toBe(true);
    // curl reads the same stream (chunked, HTTP/1.1).
    const c = await curl("-H", `Authorization: Bearer ${f.agent.key}`, `${f.base("streamed")}/large.json?rows=300`);
    expect((JSON.parse(c.stdout) as { rows: unknown[] }).rows).toHaveLength(300);
    expect(c.stdout).not.toContain("@example.com");
  });
});
