import { auditRequest } from "../../http/client-sessions";
import http from "node:http";
import https from "node:https";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import type { GatewayDeps } from "../../gateway-deps";
import { judgeCommands } from "../../../core/policy/evaluate-policy";
import { normalisePath, requestCommand } from "../../../core/policy/http-request";
import { redactSecret } from "../../../core/connections/types/http-credential";
import { holdForReview } from "../../pipeline/hold";
import { clientCredential } from "../../http/client-credential";
import type { HttpSessions } from "./proxy-route";
import { SecretRedactor } from "../../http/secret-redactor";
import { dialConnection } from "../../connector/http-dial";
import { UpstreamPool, clientHeaders, upstreamHeaders, upstreamUrl } from "../../http/upstream";
import { PROXY_PREFIX_PATH } from "./proxy-paths";

const STATUS_TEXT: Record<number, string> = { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout" };

/** A refusal on a socket that asked to upgrade: a plain HTTP response with the JSON body, then close. */
function refuse(socket: Duplex, status: number, body: Record<string, unknown>): number {
  const payload = JSON.stringify(body);
  const extra = status === 401 ? 'www-authenticate: Bearer realm="gatehouse"\r\n' : "";
  const text = `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Error"}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(payload)}\r\n${extra}connection: close\r\n\r\n${payload}`;
  socket.end(text);
  return Buffer.byteLength(payload);
}

/**
 * A WebSocket (or other) upgrade through the proxy: admitted, judged as `GET /path` and held like
 * any request, then relayed byte for byte with the connection's credential on the upgrade request.
 * Frames are not masked, so a connection with masking rules refuses upgrades; compression is not
 * negotiated (the client's extensions are dropped), so the credential can be cut out of what the
 * upstream sends, as in any response.
 */
export async function relayUpgrade(deps: GatewayDeps, sessions: HttpSessions, pool: UpstreamPool, req: IncomingMessage, socket: Duplex, head: Buffer, rest: string): Promise<void> {
  const started = performance.now();
  socket.on("error", () => {});
  if (deps.config.tls.required && !(req.socket as TLSSocket).encrypted) return void refuse(socket, 403, { error: "tls_required", message: "this gateway requires TLS: call wss:// on the same port" });
  const slash = rest.indexOf("/");
  let connectionName = "";
  try {
    connectionName = decodeURIComponent(slash < 0 ? rest : rest.slice(0, slash));
  } catch {
    // refused as forbidden below
  }
  const rawPath = slash < 0 ? "/" : rest.slice(slash);
  const q = (req.url ?? "").indexOf("?");
  const rawSearch = q < 0 ? "" : (req.url ?? "").slice(q);
  const credential = clientCredential(req.headers);
  if (!credential) return void refuse(socket, 401, { error: "unauthenticated", message: "no Gatehouse credential: send Authorization: Bearer <key or token>" });
  const opened = await sessions.get(req.socket as Socket, credential, connectionName);
  if (!opened.ok) {
    const status = { unauthenticated: 401, forbidden: 403, "auth-unavailable": 503, unavailable: 503 }[opened.refusal.reason];
    return void refuse(socket, status, { error: opened.refusal.reason, message: opened.refusal.message });
  }
  const s = opened.session;
  const text = `GET ${rawPath}${rawSearch}`;
  const path = normalisePath(rawPath);
  const audit = (outcome: "ok" | "error" | "denied", status: number, message: string | null, rule: string | null, bytesIn = 0, bytesOut = 0) =>
    auditRequest(s, {
      outcome,
      statement: text,
      kind: path ? `GET ${path}` : "GET",
      startedAt: started,
      message,
      bytesIn,
      bytesOut,
      details: { method: "GET", path: path ?? rawPath, status, rule, upgrade: String(req.headers.upgrade ?? "") },
    });
  if (path === null) return audit("denied", 400, "ambiguous path", null, 0, refuse(socket, 400, { error: "bad_request", message: "the path does not decode, or has . or .. segments" }));
  if (s.masker()) {
    const message = "this connection masks responses, and WebSocket frames cannot be masked: upgrades are refused";
    return audit("denied", 403, message, null, 0, refuse(socket, 403, { error: "unmaskable_body", message }));
  }
  const policy = deps.policies.current(s.admission.connection.id);
  const verdict = policy
    ? judgeCommands(policy, { name: s.admission.identity.name, groups: s.admission.identity.groups }, [requestCommand({ method: "GET", path, query: {}, headers: {}, body: undefined }, text)])
    : { action: "allow" as const };
  const rule = verdict.action === "allow" ? null : verdict.decision.rule;
  if (verdict.action === "deny") {
    const message = `Gatehouse denied this request: ${verdict.decision.reason}`;
    return audit("denied", 403, message, rule, 0, refuse(socket, 403, { error: "refused", message, rule }));
  }
  if (verdict.action === "review") {
    const held = holdForReview(deps, s.scope.ctx, verdict, { statement: `${text} (WebSocket upgrade)` });
    socket.once("close", () => held.cancel("the client went away"));
    const outcome = await held.start(() => {});
    if (!outcome.approved) {
      const message = `Gatehouse did not run this request: ${outcome.message}`;
      return audit("denied", 403, message, rule, 0, refuse(socket, 403, { error: "refused", message, rule }));
    }
    if (socket.destroyed) return audit("error", 0, "approved, but the client had gone away", rule);
  }
  const { settings, credential: cred } = s;
  const url = upstreamUrl(settings, rawPath, rawSearch, cred);
  const headers = upstreamHeaders(req.headers, settings, cred, null, { addr: req.socket.remoteAddress ?? null, tls: Boolean((req.socket as TLSSocket).encrypted) });
  delete headers["content-length"];
  delete headers["sec-websocket-extensions"];
  headers.connection = "Upgrade";
  headers.upgrade = String(req.headers.upgrade ?? "websocket");
  // Upgraded sockets leave the pool: a fresh agentless connection.
  const secure = url.protocol === "https:";
  const connection = s.admission.connection;
  const upReq = (secure ? https : http).request(url, {
    method: "GET",
    headers,
    // Node uses createConnection only without an agent (false would make a fresh default one).
    agent: connection.connector ? undefined : false,
    rejectUnauthorized: settings.tlsVerify,
    ca: settings.caBundle || undefined,
    createConnection: connection.connector ? dialConnection(deps.connectors.dialerFor(connection), secure) : undefined,
  });
  upReq.setTimeout(settings.timeoutMs, () => upReq.destroy(new Error(`the upstream did not answer within ${settings.timeoutMs} ms`)));
  const flight = { end: () => (socket.destroy(), upReq.destroy()) };
  s.inFlight.add(flight);
  socket.once("close", () => s.inFlight.delete(flight));
  upReq.once("error", (err) => {
    audit("error", 502, redactSecret(err.message, cred.forms), rule);
    refuse(socket, 502, { error: "upstream_unavailable", message: `the upstream could not be reached: ${redactSecret(err.message, cred.forms)}` });
  });
  upReq.once("response", (res) => {
    // The upstream declined the upgrade: its answer, the credential cut out, then close.
    const status = res.statusCode ?? 502;
    res.resume();
    audit("ok", status, "the upstream did not upgrade", rule);
    refuse(socket, status, { error: "upgrade_declined", message: `the upstream answered ${status} instead of switching protocols` });
  });
  upReq.once("upgrade", (upRes, upSocket, upHead) => {
    upReq.setTimeout(0);
    const out = clientHeaders(upRes.headers, settings, `${PROXY_PREFIX_PATH}${encodeURIComponent(connectionName)}`, cred.forms);
    out.connection = "Upgrade";
    out.upgrade = String(upRes.headers.upgrade ?? "websocket");
    const lines = Object.entries(out).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => `${k}: ${x}`) : [`${k}: ${v}`]));
    socket.write(`HTTP/1.1 101 Switching Protocols\r\n${lines.join("\r\n")}\r\n\r\n`);
    let bytesIn = head.length;
    let bytesOut = upHead.length;
    if (head.length) upSocket.write(head);
    const redactor = new SecretRedactor(cred.forms);
    if (upHead.length) redactor.write(upHead);
    socket.on("data", (d: Buffer) => (bytesIn += d.length));
    redactor.on("data", (d: Buffer) => (bytesOut += d.length));
    socket.pipe(upSocket);
    upSocket.pipe(redactor).pipe(socket);
    upSocket.on("error", () => socket.destroy());
    const closeBoth = () => {
      socket.destroy();
      upSocket.destroy();
    };
    socket.once("close", closeBoth);
    upSocket.once("close", closeBoth);
    socket.once("close", () => audit("ok", 101, redactor.found ? `the credential was cut out of the upstream's frames ${redactor.found} time(s)` : null, rule, bytesIn, bytesOut));
  });
  upReq.end();
}
