import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

/**
 * The official SDK client over Streamable HTTP, signed in with a bearer credential. With `fetch`, its
 * requests go through it (a dedicated connection pool: by default every client in the process shares
 * Node's, so one client's requests may ride another's keep-alive connection).
 */
export async function connectMcp(url: URL, credential: string, opts: { fetch?: typeof fetch } = {}): Promise<Client> {
  const client = new Client({ name: "gatehouse-e2e", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${credential}` } }, fetch: opts.fetch }));
  return client;
}

export const callTool = (c: Client, name: string, args: Record<string, unknown> = {}, opts?: { timeout?: number }) => c.callTool({ name, arguments: args }, undefined, opts) as Promise<CallToolResult>;
export const structured = (r: CallToolResult) => r.structuredContent as Record<string, unknown>;
export const textOf = (r: CallToolResult) => (r.content as Array<{ type: string; text?: string }>).map((p) => p.text ?? "").join("\n");
