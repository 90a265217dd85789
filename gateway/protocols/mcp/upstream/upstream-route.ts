import type http from "node:http";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import type { GatewayDeps } from "../../../gateway-deps";
import { ClientSessions } from "../../../http/client-sessions";
import { connectionTypeOf } from "../../../../core/connections/registry";
import { injectedCredential } from "../../../../core/connections/types/http-credential";
import type { McpSettings } from "../../../../core/connections/types/mcp";
import { allowedOrigin, jsonRpcError, METADATA_PATH, publicBase, readJsonRpc } from "../json-rpc-http";
import { listTools, type McpSession } from "./tool-gate";
import { callUpstreamTool } from "./call-tool";
import { UpstreamPool } from "./upstream-pool";

/**
 * `/mcp/<connection>`: an upstream MCP server (a connection of type `mcp`) behind the gateway,
 * Streamable HTTP and stateless towards the agent like `/mcp` (a new SDK Server per POST, JSON
 * responses). Each request is admitted by the pipeline for that connection with the agent's bearer
 * credential; sessions are per client TCP connection, as on the HTTP proxy. The server offers the
 * upstream's tools only: listed when approved and not denied, each call judged, held, masked, audited.
 */
export function upstreamMcp(deps: GatewayDeps): { request: (req: http.IncomingMessage, res: http.ServerResponse, name: string) => void; close: () => Promise<void> } {
  const pool = new UpstreamPool(deps.log);
  const sessions = new ClientSessions<McpSettings>(deps, {
    protocol: "mcp",
    listener: "mcp",
    servesLabel: "an MCP",
    prepare: (connection) => {
      const settings = connectionTypeOf("mcp").parseSettings(connection);
      const secret = connection.secret.credential;
      // Only its forms are used: the credential is cut out of anything the upstream sends back.
      const credential = injectedCredential({ auth: secret ? "bearer" : "none" }, secret);
      return { settings, credential, start: `MCP client of ${settings.transport === "http" ? settings.url : `the stdio server ${settings.command}`}` };
    },
  });
  return {
    request: (req, res, name) => {
      handle(deps, sessions, pool, req, res, name).catch((err) => {
        deps.log(`mcp: /mcp/${name}: ${(err as Error).stack ?? err}`, "error");
        if (!res.headersSent) jsonRpcError(res, 500, -32603, "the gateway could not handle this request");
        else res.end();
      });
    },
    close: () => pool.close(),
  };
}

async function handle(deps: GatewayDeps, sessions: ClientSessions<McpSettings>, pool: UpstreamPool, req: http.IncomingMessage, res: http.ServerResponse, rawName: string): Promise<void> {
  if (req.method !== "POST") {
    res.writeHead(405, { allow: "POST", "content-type": "application/json" });
    return void res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message: "this MCP endpoint is stateless: only POST is served" }, id: null }));
  }
  if (deps.config.tls.required && !(req.socket as TLSSocket).encrypted) return jsonRpcError(res, 403, -32000, "this gateway requires TLS: call https:// on the same port");
  const origin = req.headers.origin;
  if (origin && !allowedOrigin(origin, deps)) return jsonRpcError(res, 403, -32000, `requests from ${origin.slice(0, 200)} are not accepted here`);
  let name: string;
  try {
    name = decodeURIComponent(rawName);
  } catch {
    name = "";
  }
  const challenge = `Bearer resource_metadata="${publicBase(req)}${METADATA_PATH}/mcp"`;
  const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "");
  if (!m) {
    res.writeHead(401, { "www-authenticate": challenge, "content-type": "application/json" });
    return void res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32001, message: "authentication required: Authorization: Bearer <Gatehouse key or OIDC access token>" }, id: null }));
  }
  const opened = await sessions.get(req.socket as Socket, m[1], name);
  if (!opened.ok) {
    const { reason, message, hint } = opened.refusal;
    if (reason === "unauthenticated") {
      res.writeHead(401, { "www-authenticate": `${challenge}, error="invalid_token"`, "content-type": "application/json" });
      return void res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32001, message }, id: null }));
    }
    return jsonRpcError(res, reason === "forbidden" ? 403 : 503, -32001, hint ? `${message}. ${hint}` : message);
  }
  const s = opened.session;
  if (s.endedBy !== null) return jsonRpcError(res, 403, -32000, `Gatehouse ended this session: ${s.endedBy}`);
  const message = await readJsonRpc(req, res, s);
  if (!message) return;
  const { parsed } = message;
  const server = serverFor(deps, pool, s);
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.once("close", () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, parsed);
}

/** The per-request SDK server: the upstream's name, and the two tool methods through the gate. */
function serverFor(deps: GatewayDeps, pool: UpstreamPool, s: McpSession): Server {
  const server = new Server(
    { name: `gatehouse/${s.admission.connection.name}`, version: "1.0.0" },
    { capabilities: { tools: {} }, instructions: "Tools of an upstream MCP server, through Gatehouse: calls are judged by policy, may be held for approval, and results are masked." },
  );
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: await listTools(deps, pool, s) }));
  server.setRequestHandler(CallToolRequestSchema, (request, extra) => callUpstreamTool(deps, pool, s, request.params.name, request.params.arguments ?? {}, extra.signal));
  return server;
}
