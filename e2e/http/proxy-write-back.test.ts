import zlib from "node:zlib";
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { auditEvents } from "../../drizzle/schema/index";
import { seedMasking } from "../support/seed";
import { CUSTOMERS } from "../support/http-upstream";
import { startHttpFixture, type HttpFixture } from "./http-fixture";

// An agent reads a resource through a masked connection, changes a field and sends the document
// back: the upstream (a real Node server that echoes what reaches /v1/ and counts what reaches
// /upload) must never receive what masking showed in place of a value.
let f: HttpFixture;
beforeAll(async () => {
  f = await startHttpFixture({ masked: { auth: "bearer" }, small: { auth: "bearer", flags: { "max-body-bytes": "4096" } }, plain: { auth: "bearer" } });
  await seedMasking(f.seed, "masked", { detectors: { builtIn: ["email", "payment-card"], style: "redact" }, paths: [{ path: "$.customers[*].name", style: "partial" }] });
  await seedMasking(f.seed, "small", { detectors: { builtIn: ["email"] } });
}, 120_000);
afterAll(async () => {
  expect(f?.upstream.leaks ?? []).toEqual([]);
  await f?.close();
});

const auth = () => ({ authorization: `Bearer ${f.agent.key}` });
const reached = (path: string) => f.upstream.seen.filter((r) => r.url.split("?")[0] === path).length;

describe("[HTTP][MASKING][WRITE-BACK] what masking showed is not sent back upstream", () => {
  it("refuses a masked document sent back (JSON, gzip, a form field, a query value) with 403 masked_value, and passes real values", async () => {
    const shown = ((await (await fetch(`${f.base("masked")}/customers`, { headers: auth() })).json()) as { customers: Array<Record<string, unknown>> }).customers[0];
    expect(shown).toMatchObject({ name: "*** *mith", email: "[REDACTED:email]" });
    const send = (method: string, path: string, body: Uint8Array | string, headers: Record<string, string>) =>
      fetch(`${f.base("masked")}${path}`, { method, headers: { ...auth(), ...headers }, body: body as BodyInit });
    const refused = async (r: Response, where: string) => {
      expect(r.status).toBe(403);
      const b = (await r.json()) as { error: string; message: string };
      expect(b.error).toBe("masked_value");
      expect(b.message).toContain(`(${where})`);
    };
    // The whole document back, one field changed: its partial mask is told as a whole value.
    await refused(await send("PUT", "/v1/customers/1", JSON.stringify({ ...shown, balance: 2 }), { "content-type": "application/json" }), "$.name");
    await refused(
      await send("PATCH", "/v1/customers/1", JSON.stringify({ contact: { emails: ["a@b.example", shown.email] } }), { "content-type": "application/merge-patch+json" }),
      "$.contact.emails[1]",
    );
    await refused(await send("PUT", "/v1/customers/1", zlib.gzipSync(JSON.stringify(shown)), { "content-type": "application/json", "content-encoding": "gzip" }), "$.name");
    await refused(await send("POST", "/v1/customers/1", new URLSearchParams({ email: String(shown.email) }).toString(), { "content-type": "application/x-www-form-urlencoded" }), "form field email");
    await refused(await send("POST", `/v1/customers/1?email=${encodeURIComponent(String(shown.email))}`, "", {}), "query parameter email");
    await refused(await send("PUT", "/v1/notes/1", `call ${shown.email} today`, { "content-type": "text/plain" }), "the body");
    expect(reached("/v1/customers/1") + reached("/v1/notes/1")).toBe(0);

    // Real values go through, and a masked value in a read's query is only a search.
    const ok = await send("PATCH", "/v1/customers/1", JSON.stringify({ name: "Ann Smythe", card: CUSTOMERS[0].card }), { "content-type": "application/json" });
    expect(ok.status).toBe(200);
    expect(reached("/v1/customers/1")).toBe(1);
    // (What the upstream echoes is masked on its way back like any response.)
    expect(((await ok.json()) as { body: string }).body).toBe(JSON.stringify({ name: "Ann Smythe", card: "[REDACTED:payment-card]" }));
    expect((await fetch(`${f.base("masked")}/v1/search?q=${encodeURIComponent("[REDACTED:email]")}`, { headers: auth() })).status).toBe(200);
    // A connection without masking passes anything.
    const plain = await fetch(`${f.base("plain")}/v1/customers/1`, { method: "PUT", headers: { ...auth(), "content-type": "application/json" }, body: JSON.stringify(shown) });
    expect(plain.status).toBe(200);

    // Each refusal audited (stored by the gateway's audit writer within about 100 ms).
    const refusals = async () =>
      (
        await f.seed.db
          .select()
          .from(auditEvents)
          .where(and(eq(auditEvents.connectionName, "masked"), eq(auditEvents.outcome, "denied")))
      ).filter((e) => /masking showed/.test(e.message ?? "")).length;
    await expect.poll(refusals).toBe(6);
  });

  it("aborts an upload larger than the connection buffers when a piece of it carries a marker, before that piece is sent", async () => {
    const filler = "0123456789abcdef".repeat(1024); // 16 KiB, past the 4 KiB the connection buffers
    const before = f.upstream.seen.length;
    const r = await fetch(`${f.base("small")}/upload`, { method: "POST", headers: { ...auth(), "content-type": "text/plain" }, body: `${filler}\nowner: [REDACTED:email]\n${filler}` });
    expect(r.status).toBe(403);
    expect(((await r.json()) as { error: string }).error).toBe("masked_value");
    // A file of a binary type is not read (masking never shows one): its stars are only bytes.
    const image = await fetch(`${f.base("small")}/upload`, { method: "POST", headers: { ...auth(), "content-type": "image/png" }, body: `${filler}****[REDACTED:email]${filler}` });
    expect(((await image.json()) as { bytes: number }).bytes).toBe(filler.length * 2 + 20);
    // The same size without the marker uploads whole.
    const clean = await fetch(`${f.base("small")}/upload`, { method: "POST", headers: { ...auth(), "content-type": "text/plain" }, body: `${filler}\nowner: ann\n${filler}` });
    expect(((await clean.json()) as { bytes: number }).bytes).toBe(filler.length * 2 + 12);
    expect(f.upstream.seen.length).toBeGreaterThan(before);
  });

  it("an upstream that answered before the upload ended: a marker in the rest changes nothing, and the client's connection goes on", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const url = new URL(`${f.base("small")}/echo/early`);
      let socket: unknown;
      const early = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(url, { method: "POST", agent, headers: { ...auth(), "content-type": "text/plain" } }, (res) => {
          socket = res.socket;
          let body = "";
          res.on("data", (c) => (body += c));
          // Answered: the rest of the upload, a marker in it, goes after the answer.
          res.on("end", () => {
            req.end(`owner: [REDACTED:email]\n${"0123456789abcdef".repeat(1024)}`);
            resolve({ status: res.statusCode ?? 0, body });
          });
        });
        req.on("error", reject);
        req.write("0123456789abcdef".repeat(1024)); // past the 4 KiB the connection buffers: streamed
      });
      expect(early).toEqual({ status: 200, body: JSON.stringify({ value: "early" }) });
      await new Promise((r) => setTimeout(r, 200));
      const second = await fetchWith(agent, `${f.base("plain")}/echo/second`);
      expect({ status: second.status, body: second.body }).toEqual({ status: 200, body: JSON.stringify({ value: "second" }) });
      // On the same connection: the gateway did not cut it over the drained rest.
      expect(second.socket).toBe(socket);
    } finally {
      agent.destroy();
    }
  });
});

/** A GET through a given agent (its kept-alive connection). */
function fetchWith(agent: http.Agent, url: string): Promise<{ status: number; body: string; socket: unknown }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers: auth() }, (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        const socket = res.socket;
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, socket }));
      })
      .on("error", reject);
  });
}
