import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { GATEHOUSE_AUDIENCE, startOidcProvider, type TestOidcProvider } from "../support/oidc-provider";
import path from "node:path";
import { addConnection } from "../../core/connections/add-connection";
import { grantAccess } from "../../core/access/grant-access";
import { callTool, connectMcp, structured, textOf } from "./mcp-client";

let t: TestGateway;
let idp: TestOidcProvider;
let url: URL;

beforeAll(async () => {
  idp = await startOidcProvider();
  t = await startTestGateway({ OIDC_ISSUER: idp.issuer, OIDC_AUDIENCE: GATEHOUSE_AUDIENCE, OIDC_GROUPS_CLAIM: "groups" });
  await t.setupAccess(); // connection pg-prod, granted to group analysts
  // An upstream MCP server (the SDK-built fixture over stdio), its tools trusted on first sight.
  const db = t.gw.deps.db;
  const fixture = path.join(import.meta.dirname, "upstream-fixture", "fixture-server.mjs");
  await addConnection(db, t.gw.deps.box, { name: "files-mcp", type: "mcp", flags: { command: process.execPath, args: JSON.stringify([fixture, "/nonexistent-state.json"]), "trust-new-tools": true } });
  await grantAccess(db, "analysts", "files-mcp");
  url = new URL(`http://127.0.0.1:${t.gw.ports.http}/mcp`);
});
afterAll(async () => {
  await t?.close();
  await idp?.stop();
});

const status = async (token: string) =>
  (
    await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${token}` },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    })
  ).status;

describe("[MCP][OIDC] access tokens from the configured issuer", () => {
  it("a provider-issued token lists its connections and queries through the Postgres listener with the same token", async () => {
    const token = await idp.getToken({ groups: ["analysts"] });
    const client = await connectMcp(url, token);
    expect(structured(await callTool(client, "connections_list")).connections).toEqual([
      { name: "files-mcp", type: "mcp", tools: [], endpoint: "/mcp/files-mcp" },
      { name: "pg-prod", type: "postgres", tools: ["connection_schema", "query"] },
    ]);
    const r = structured(await callTool(client, "query", { connection: "pg-prod", sql: "select 41 + 1 as answer" })) as { results: Array<{ rows: unknown[][] }> };
    expect(r.results[0].rows).toEqual([[42]]);
    await client.close();
  });

  it("the same token reaches an upstream MCP server at /mcp/<connection>; an expired one is refused there too", async () => {
    const upstream = new URL(`http://127.0.0.1:${t.gw.ports.http}/mcp/files-mcp`);
    const client = await connectMcp(upstream, await idp.getToken({ groups: ["analysts"] }));
    expect(textOf(await callTool(client, "echo", { text: "via oidc" }))).toBe("via oidc");
    await client.close();
    await expect(connectMcp(upstream, await idp.getToken({ groups: ["analysts"], issuedSecondsAgo: 3600 }))).rejects.toThrow(/-32001/);
  });

  it("expired tokens and tokens for another audience are refused with 401; the metadata names the issuer", async () => {
    expect(await status(await idp.getToken({ groups: ["analysts"], issuedSecondsAgo: 3600 }))).toBe(401);
    expect(await status(await idp.getToken({ groups: ["analysts"], audience: "https://someone-else.test" }))).toBe(401);
    expect(await status(await idp.getToken({ groups: ["analysts"] }))).toBe(200);
    const meta = (await (await fetch(`http://127.0.0.1:${t.gw.ports.http}/.well-known/oauth-protected-resource/mcp`)).json()) as { authorization_servers: string[] };
    expect(meta.authorization_servers).toEqual([idp.issuer]);
  });
});
