import { describe, expect, it } from "vitest";
import { Readable } from "node:stream";
import { SecretRedactor } from "./secret-redactor";
import { clientCredential } from "./client-credential";
import { upstreamHeaders, clientHeaders } from "./upstream";
import { injectedCredential } from "../../core/connections/types/http-credential";

const run = async (chunks: Buffer[], forms: string[]) => {
  const out: Buffer[] = [];
  const r = new SecretRedactor(forms);
  // Each chunk its own copy, as a socket or a decoder hands them over: the redactor overwrites chunks in place.
  for await (const c of Readable.from(chunks.map((c) => Buffer.from(c))).pipe(r)) out.push(c as Buffer);
  return { text: Buffer.concat(out).toString(), chunks: out.length, found: r.found };
};

describe("[HTTP][SECRET] the injected credential never leaves in a response body", () => {
  const secret = "s3cr3t-TOKEN-value";
  const body = Buffer.from(`{"echo":"Bearer ${secret}","again":"${secret}${secret}","x":"s3cr3t-"}`);

  it("cuts every occurrence, wherever the chunks split it, keeping the length", async () => {
    for (let cut = 1; cut < body.length; cut++) {
      for (const size of [1, 2, 5, 7]) {
        const chunks = [body.subarray(0, cut), ...Array.from({ length: Math.ceil((body.length - cut) / size) }, (_, i) => body.subarray(cut + i * size, cut + (i + 1) * size))];
        const r = await run(chunks, [secret]);
        expect(r.text).not.toContain(secret);
        expect(r.text.length).toBe(body.length);
        expect(r.found).toBe(3);
      }
    }
  });

  it("holds back only a tail that could start the secret (SSE events are not delayed)", async () => {
    const r = new SecretRedactor([secret]);
    const pushed: string[] = [];
    r.on("data", (c: Buffer) => pushed.push(c.toString()));
    r.write(Buffer.from("data: 1\n\n"));
    r.write(Buffer.from("data: s3cr"));
    await new Promise((res) => setImmediate(res));
    expect(pushed.join("")).toBe("data: 1\n\ndata: ");
    r.end(Buffer.from("ap\n\n"));
    await new Promise((res) => r.once("end", res));
    expect(pushed.join("")).toBe("data: 1\n\ndata: s3crap\n\n");
  });
});

describe("[HTTP][HEADERS] what the client presents and what the upstream gets", () => {
  it("takes the Gatehouse credential from Proxy-Authorization, bearer or basic auth's password", () => {
    const basic = (s: string) => `Basic ${Buffer.from(s).toString("base64")}`;
    expect(clientCredential({ authorization: "Bearer ghk_a" })).toBe("ghk_a");
    expect(clientCredential({ "proxy-authorization": "Bearer ghk_p", authorization: "Bearer upstream-own" })).toBe("ghk_p");
    expect(clientCredential({ authorization: basic("agent:ghk_b:c") })).toBe("ghk_b:c");
    expect(clientCredential({ authorization: basic("ghk_only_user:") })).toBeNull();
    expect(clientCredential({ authorization: "Token x" })).toBeNull();
    expect(clientCredential({})).toBeNull();
  });

  it("strips the client's credentials, cookies and hop-by-hop headers, and injects the connection's", () => {
    const settings = {
      baseUrl: "https://api.internal/v1",
      auth: "header",
      authName: "X-API-Key",
      extraHeaders: "X-Tenant: acme",
      tlsVerify: true,
      timeoutMs: 1000,
      maxBodyBytes: 1024,
      oversizeBodies: "refuse",
      otherBodies: "pass",
    } as const;
    const cred = injectedCredential(settings, "k-secret-123");
    const out = upstreamHeaders(
      {
        authorization: "Bearer ghk_x",
        "proxy-authorization": "Bearer ghk_y",
        cookie: "sid=1",
        "x-api-key": "client-chosen",
        connection: "keep-alive, X-Drop",
        "x-drop": "1",
        "keep-alive": "timeout=5",
        "accept-encoding": "gzip, zstd, br;q=0.5",
        host: "gw:18888",
        "x-keep": "yes",
        "x-forwarded-for": "10.0.0.9",
        // What only the proxy in front of the upstream may say: the client's own are dropped.
        "x-real-ip": "10.0.0.1",
        forwarded: "for=10.0.0.1",
        "true-client-ip": "10.0.0.1",
        "x-forwarded-host": "admin.internal",
        "x-forwarded-proto": "http",
      },
      settings,
      cred,
      null,
      { addr: "127.0.0.7", tls: true },
    );
    expect(out).toEqual({
      "x-keep": "yes",
      "accept-encoding": "gzip, br",
      "x-tenant": "acme",
      "x-api-key": "k-secret-123",
      "x-forwarded-for": "10.0.0.9, 127.0.0.7",
      "x-real-ip": "127.0.0.7",
      "x-forwarded-proto": "https",
    });
  });

  it("cuts the secret out of response headers and points redirects to the upstream back at the gateway", () => {
    const settings = {
      baseUrl: "http://up:8080/api",
      auth: "query",
      authName: "api_key",
      tlsVerify: true,
      timeoutMs: 1000,
      maxBodyBytes: 1024,
      oversizeBodies: "refuse",
      otherBodies: "pass",
    } as const;
    const cred = injectedCredential(settings, "q/secret+1");
    const h = clientHeaders(
      { location: "http://up:8080/api/next?api_key=q%2Fsecret%2B1&p=2", "x-echo": "q/secret+1", "transfer-encoding": "chunked", "set-cookie": ["a=q/secret+1"] },
      settings,
      "/proxy/svc",
      cred.forms,
    );
    expect(h).toEqual({ location: "/proxy/svc/next?api_key=[REDACTED:credential]&p=2", "x-echo": "[REDACTED:credential]", "set-cookie": ["a=[REDACTED:credential]"] });
    expect(clientHeaders({ location: "http://other/api/x" }, settings, "/proxy/svc", cred.forms).location).toBe("http://other/api/x");
    expect(clientHeaders({ location: "/elsewhere" }, settings, "/proxy/svc", cred.forms).location).toBe("/elsewhere");
  });
});
