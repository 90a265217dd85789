import type http from "node:http";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { GatewayDeps } from "../../gateway-deps";
import type { HttpRouter } from "../../http/router";
import { authenticateClient } from "../../pipeline/admit";
import { HeldCalls } from "./held-calls";
import { HeldCallResults } from "./held-call-results";
import { allowedOrigin, jsonRpcError, METADATA_PATH, publicBase, readJsonRpc } from "./json-rpc-http";
import { registerTools, TOOL_NAMES } from "./tools";
import { upstreamMcp } from "./upstream/upstream-route";
import type { CallerContext } from "./tool-call";
import { EndpointSessions } from "./endpoint-sessions";
import { SessionUnrecordedError } from "../../pipeline/session-scope";

export type McpRoute = { close: () => Promise<void> };

/**
 * Gatehouse's own MCP server: `/mcp` on the gateway's HTTP port, Streamable HTTP, stateless (a new
 * server and transport per request, JSON responses), with the official SDK. Each request is
 * authenticated by its bearer credential through the pipeline; the tools reach data only by dialing
 * the gateway's own Postgres and SSH listeners with that credential, which judge, hold, mask and audit.
 */
export function mountMcp(router: HttpRouter, deps: GatewayDeps, endpoints: CallerContext["endpoints"]): McpRoute {
  const held = new HeldCalls(new HeldCallResults(deps.db, deps.box, deps.config.instance, (m) => deps.log(m, "warn")));
  const sessions = new EndpointSessions(deps);
  const open = new Set<http.ServerResponse>();
  const upstream = upstreamMcp(deps);
  router.mount("/mcp", "the MCP server, and upstream MCP servers at /mcp/<connection> (Streamable HTTP, POST; Authorization: Bearer <Gatehouse key or OIDC access token>)", {
    request: (req, res, rest) => {
      const connection = /^\/([^/]+)\/?$/.exec(rest);
      if (connection) return upstream.request(req, res, connection[1]);
      if (rest !== "" && rest !== "/") return plain(res, 404, "not found");
      open.add(res);
      res.once("close", () => open.delete(res));
      handle(req, res, deps, held, sessions, endpoints).catch((err) => {
        deps.log(`mcp: ${(err as Error).stack ?? err}`, "error");
        if (!res.headersSent) jsonRpcError(res, 500, -32603, "the gateway could not handle this request");
        else res.end();
      });
    },
  });
  // RFC 9728: where the MCP resource says who issues its tokens (both the root and the /mcp suffixed address).
  router.mount(METADATA_PATH, "OAuth protected resource metadata for /mcp", {
    request: (req, res, rest) => {
      if (rest !== "" && rest !== "/mcp") return plain(res, 404, "not found");
      const base = publicBase(req);
      const body = {
        resource: `${base}/mcp`,
        authorization_servers: deps.config.oidc ? [deps.config.oidc.issuer] : [],
        bearer_methods_supported: ["header"],
        resource_name: "Gatehouse",
        resource_documentation: `${deps.config.consoleUrl.replace(/\/$/, "")}/`,
      };
      res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=300" }).end(JSON.stringify(body));
    },
  });
  return {
    close: async () => {
      held.close();
      await upstream.close();
      for (const res of open) res.destroy();
    },
  };
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, deps: GatewayDeps, held: HeldCalls, sessions: EndpointSessions, endpoints: CallerContext["endpoints"]): Promise<void> {
  if (req.method !== "POST") {
    // Stateless: no server-initiated stream (GET) and no session to end (DELETE).
    res.writeHead(405, { allow: "POST", "content-type": "application/json" });
    return void res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message: "this MCP server is stateless: only POST is served" }, id: null }));
  }
  // MCP's guard against DNS rebinding: a browser page of another site may not drive this endpoint.
  const origin = req.headers.origin;
  if (origin && !allowedOrigin(origin, deps)) return jsonRpcError(res, 403, -32000, `requests from ${origin.slice(0, 200)} are not accepted here`);
  const clientAddr = req.socket.remoteAddress ?? null;
  const header = req.headers.authorization ?? "";
  const m = /^Bearer (\S+)$/.exec(header);
  const challenge = `Bearer resource_metadata="${publicBase(req)}${METADATA_PATH}/mcp"`;
  if (!m) {
    res.writeHead(401, { "www-authenticate": challenge, "content-type": "application/json" });
    return void res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32001, message: "authentication required: Authorization: Bearer <Gatehouse key or OIDC access token>" }, id: null }));
  }
  const credential = m[1];
  const who = await authenticateClient(deps, { protocol: "mcp", clientAddr, connectionName: null, credential });
  if (!who.ok) {
    if (who.refusal.reason === "auth-unavailable") return jsonRpcError(res, 503, -32001, who.refusal.message);
    res.writeHead(401, { "www-authenticate": `${challenge}, error="invalid_token"`, "content-type": "application/json" });
    return void res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32001, message: who.refusal.message }, id: null }));
  }
  // The client's session on /mcp (per connection and credential): nothing is served that cannot be attributed.
  const session = await sessions.get(req.socket, credential, who.identity).catch((err: unknown) => {
    if (err instanceof SessionUnrecordedError) return null;
    throw err;
  });
  if (!session) return jsonRpcError(res, 503, -32001, new SessionUnrecordedError().message);
  if (session.endedBy !== null) {
    res.setHeader("connection", "close");
    return jsonRpcError(res, 403, -32001, `Gatehouse ended this session: ${session.endedBy}`);
  }
  session.inFlight++;
  res.once("close", () => {
    session.inFlight--;
    session.settle();
  });
  const message = await readJsonRpc(req, res, session);
  if (!message) return;
  const { parsed } = message;
  // The SDK's McpServer answers a call of an unknown tool with a tool result (isError); MCP says it is a protocol error (-32602).
  const unknown = (Array.isArray(parsed) ? parsed : [parsed]).map(unknownToolCall).find((u) => u !== null);
  if (unknown) return jsonRpcError(res, 200, -32602, `unknown tool: ${unknown.name}`, Array.isArray(parsed) ? null : unknown.id);

  const caller: CallerContext = { deps, identity: who.identity, credential, clientAddr, sessionId: session.scope.id, held, endpoints };
  const server = new McpServer({ name: "gatehouse", version: "1.0.0" }, { capabilities: { tools: {} } });
  registerTools(server, caller);
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.once("close", () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, parsed);
}

/** A `tools/call` request naming a tool this server does not have, or null. */
function unknownToolCall(msg: unknown): { id: string | number | null; name: string } | null {
  if (!msg || typeof msg !== "object") return null;
  const m = msg as { method?: unknown; id?: unknown; params?: { name?: unknown } };
  if (m.method !== "tools/call" || typeof m.params?.name !== "string" || TOOL_NAMES.includes(m.params.name)) return null;
  return { id: typeof m.id === "string" || typeof m.id === "number" ? m.id : null, name: m.params.name.slice(0, 100) };
}

function plain(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(`${text}\n`);
}
