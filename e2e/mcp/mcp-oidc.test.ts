import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { GATEHOUSE_AUDIENCE, startOidcProvider, type TestOidcProvider } from "../support/oidc-provider";
import { callTool, connectMcp, structured } from "./mcp-client";

let t: TestGateway;
let idp: TestOidcProvider;
let url: URL;

beforeAll(async () => {
  idp = await startOidcProvider();
  t = await startTestGateway({ OIDC_ISSUER: idp.issuer, OIDC_AUDIENCE: GATEHOUSE_AUDIENCE, OIDC_GROUPS_CLAIM: "groups" });
  await t.setupAccess(); // connection pg-prod, granted to group analysts
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
    expect(structured(await callTool(client, "connections_list")).connections).toEqual([{ name: "pg-prod", type: "postgres", tools: ["connection_schema", "query"] }]);
    const r = structured(await callTool(client, "query", { connection: "pg-prod", sql: "select 41 + 1 as answer" })) as { results: Array<{ rows: unknown[][] }> };
    expect(r.results[0].rows).toEqual([[42]]);
    await client.close();
  });

  it("expired tokens and tokens for another audience are refused with 401; the metadata names the issuer", async () => {
    expect(await status(await idp.getToken({ groups: ["analysts"], issuedSecondsAgo: 3600 }))).toBe(401);
    expect(await status(await idp.getToken({ groups: ["analysts"], audience: "https://someone-else.test" }))).toBe(401);
    expect(await status(await idp.getToken({ groups: ["analysts"] }))).toBe(200);
    const meta = (await (await fetch(`http://127.0.0.1:${t.gw.ports.http}/.well-known/oauth-protected-resource/mcp`)).json()) as { authorization_servers: string[] };
    expect(meta.authorization_servers).toEqual([idp.issuer]);
  });
});
