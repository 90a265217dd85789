import { describe, expect, it } from "vitest";
import { connectionTypeOf } from "../registry";
import { injectedCredential, parseExtraHeaders, redactSecret } from "./http-credential";

describe("[CONNECTIONS][HTTP] the http connection type", () => {
  const http = connectionTypeOf("http");

  it("parses CLI flags into settings and a sealed credential, refusing what it cannot use", async () => {
    const { settings, secret } = await http.cli.parse({ url: "https://api.internal/v1", auth: "header", "auth-name": "X-API-Key", credential: "k-123", "timeout-ms": "2000" });
    expect(settings).toMatchObject({ baseUrl: "https://api.internal/v1", auth: "header", authName: "X-API-Key", timeoutMs: 2000, tlsVerify: true });
    expect(secret).toEqual({ credential: "k-123" });
    await expect(http.cli.parse({ url: "https://user:pw@api.internal", credential: "x" })).rejects.toThrow(/without credentials/);
    await expect(http.cli.parse({ url: "https://api.internal", auth: "header", credential: "x" })).rejects.toThrow(/authName/);
    await expect(http.cli.parse({ url: "https://api.internal", auth: "bearer" })).rejects.toThrow(/--credential/);
    await expect(http.cli.parse({ url: "https://api.internal", auth: "header", "auth-name": "Host", credential: "x" })).rejects.toThrow(/sets Host itself/);
  });

  it("injects the credential as configured and lists every form of it that travels", () => {
    expect(injectedCredential({ auth: "bearer" }, "s3cr3t-token")).toMatchObject({ headers: { authorization: "Bearer s3cr3t-token" }, query: null });
    const basic = injectedCredential({ auth: "basic", authUser: "svc" }, "p@ss word");
    expect(basic.headers.authorization).toBe(`Basic ${Buffer.from("svc:p@ss word").toString("base64")}`);
    expect(basic.forms).toEqual(expect.arrayContaining(["p@ss word", "p%40ss%20word", Buffer.from("svc:p@ss word").toString("base64")]));
    const query = injectedCredential({ auth: "query", authName: "api_key" }, "a b+c");
    expect(query.query).toEqual(["api_key", "a b+c"]);
    expect(query.forms).toEqual(expect.arrayContaining(["a b+c", "a%20b%2Bc", "a+b%2Bc"]));
    expect(redactSecret("echo: a+b%2Bc and a b+c", query.forms)).toBe("echo: [REDACTED:credential] and [REDACTED:credential]");
    expect(injectedCredential({ auth: "none" }, "x").headers).toEqual({});
  });

  it("reads extra headers one a line and refuses the ones the gateway owns", () => {
    expect(parseExtraHeaders("Accept: application/json\n\nX-Tenant:  acme ")).toEqual([
      ["Accept", "application/json"],
      ["X-Tenant", "acme"],
    ]);
    expect(() => parseExtraHeaders("Host: evil")).toThrow(/sets Host/);
    expect(() => parseExtraHeaders("no colon here")).toThrow(/not a header line/);
  });

  it("says where the upstream is and warns when TLS is not verified", () => {
    const s = http.parseSettings({ name: "api", type: "http", settings: { baseUrl: "https://api.internal/v1", tlsVerify: false } });
    expect(http.address(s)).toBe("api.internal:443");
    expect(http.summary(s, true).map((l) => l.tone)).toContain("warning");
  });
});
