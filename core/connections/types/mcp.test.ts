import { describe, expect, it } from "vitest";
import { FlagUsageError } from "../connection-type";
import { mcp } from "./mcp";

describe("mcp connection type", () => {
  it("reads a Streamable HTTP server from --url, the credential as bearer by default", async () => {
    const { settings, secret } = await mcp.cli.parse({ url: "https://mcp.internal/mcp", credential: "t0k" });
    expect(settings).toMatchObject({ transport: "http", url: "https://mcp.internal/mcp", auth: "bearer", trustNewTools: false, timeoutMs: 60_000 });
    expect(secret).toEqual({ credential: "t0k" });
  });

  it("reads a stdio server from --command, its arguments as a JSON array, the credential in a named variable", async () => {
    const { settings } = await mcp.cli.parse({ command: "/usr/bin/node", args: '["/srv/s.js","--x"]', "credential-env": "TOKEN", credential: "t", "trust-new-tools": true });
    expect(settings).toMatchObject({ transport: "stdio", command: "/usr/bin/node", args: '["/srv/s.js","--x"]', credentialEnv: "TOKEN", trustNewTools: true });
    expect(mcp.cli.listed(settings)).toBe("stdio\t/usr/bin/node /srv/s.js --x\tnew tools trusted");
  });

  it("refuses what it could not run: no URL or program, arguments that are not a JSON array, a stdio credential with nowhere to go", async () => {
    await expect(mcp.cli.parse({ credential: "t" })).rejects.toBeInstanceOf(FlagUsageError);
    await expect(mcp.cli.parse({ transport: "stdio" })).rejects.toBeInstanceOf(FlagUsageError);
    await expect(mcp.cli.parse({ command: "node", args: "server.js --stdio" })).rejects.toThrow(/JSON array/);
    await expect(mcp.cli.parse({ command: "node", credential: "t" })).rejects.toThrow(/--credential-env/);
    await expect(mcp.cli.parse({ url: "https://u:p@mcp.internal/", credential: "t" })).rejects.toThrow(/without credentials/);
    await expect(mcp.cli.parse({ url: "https://mcp.internal/", auth: "header", credential: "t" })).rejects.toThrow(/header name/);
    await expect(mcp.cli.parse({ url: "https://mcp.internal/", auth: "bearer" })).rejects.toThrow(/--credential is required/);
    // No credential and no --auth: a server that takes none.
    expect((await mcp.cli.parse({ url: "https://mcp.internal/" })).settings.auth).toBe("none");
  });

  it("fails closed on first sight unless told otherwise", async () => {
    expect(mcp.parseSettings({ name: "x", type: "mcp", settings: { url: "http://a/mcp" } }).trustNewTools).toBe(false);
    expect(mcp.summary(mcp.parseSettings({ name: "x", type: "mcp", settings: { url: "http://a/mcp", trustNewTools: true } }), true).map((l) => l.tone)).toContain("warning");
  });
});
