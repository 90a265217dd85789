import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import type { McpSettings } from "./mcp";
import { parseArgsList } from "./mcp-args";

/** Most tools read from one upstream (pages of `tools/list` followed until then). */
export const MAX_UPSTREAM_TOOLS = 1000;
/** The stdio program's stderr kept for messages (its last bytes). */
const STDERR_TAIL = 2048;

export type UpstreamClient = { client: Client; stderrTail: () => string; close: () => Promise<void> };

/**
 * The official SDK client connected to an upstream MCP server as the gateway reaches it: Streamable
 * HTTP with the connection's credential injected, or the connection's program run over stdio (the
 * credential in the named environment variable, and only the SDK's safe default environment
 * besides: the gateway's own secrets never reach it). Node-only: the SDK is loaded here, so the
 * console's form, which imports the type module, does not bundle it.
 */
export async function connectUpstream(s: McpSettings, credential: string | undefined, onClose?: () => void): Promise<UpstreamClient> {
  const { Client } = await import(/* webpackIgnore: true */ "@modelcontextprotocol/sdk/client/index.js");
  const client = new Client({ name: "gatehouse", version: "1.0.0" }, { capabilities: {} });
  let tail = "";
  if (s.transport === "stdio") {
    if (!s.command) throw new Error("the connection names no program to run");
    const { StdioClientTransport, getDefaultEnvironment } = await import(/* webpackIgnore: true */ "@modelcontextprotocol/sdk/client/stdio.js");
    const env = { ...getDefaultEnvironment(), ...(s.credentialEnv && credential ? { [s.credentialEnv]: credential } : {}) };
    const transport = new StdioClientTransport({ command: s.command, args: parseArgsList(s.args) ?? [], env, stderr: "pipe" });
    transport.stderr?.on("data", (d: Buffer) => (tail = (tail + d.toString("utf8")).slice(-STDERR_TAIL)));
    client.onclose = onClose;
    await client.connect(transport, { timeout: s.timeoutMs });
  } else {
    if (!s.url) throw new Error("the connection names no URL");
    const { StreamableHTTPClientTransport } = await import(/* webpackIgnore: true */ "@modelcontextprotocol/sdk/client/streamableHttp.js");
    const headers: Record<string, string> = {};
    if (credential && s.auth === "bearer") headers.authorization = `Bearer ${credential}`;
    if (credential && s.auth === "header" && s.authName) headers[s.authName] = credential;
    // Redirects are not followed: a header credential would travel to wherever the upstream points.
    const transport = new StreamableHTTPClientTransport(new URL(s.url), { requestInit: { headers, redirect: "error" } });
    client.onclose = onClose;
    await client.connect(transport, { timeout: s.timeoutMs });
  }
  return { client, stderrTail: () => tail, close: () => client.close() };
}

/** Every tool the upstream lists, pages followed (at most MAX_UPSTREAM_TOOLS). */
export async function listUpstreamTools(client: Client, timeoutMs: number, signal?: AbortSignal): Promise<Tool[]> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor ? { cursor } : {}, { timeout: timeoutMs, signal });
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor && tools.length < MAX_UPSTREAM_TOOLS);
  return tools.slice(0, MAX_UPSTREAM_TOOLS);
}
