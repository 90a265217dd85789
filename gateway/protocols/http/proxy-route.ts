import http from "node:http";
import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { GatewayDeps } from "../../gateway-deps";
import type { HttpRouter } from "../../http/router";
import { rejectUpgrade } from "../../http/router";
import { judgeCommands, type Verdict } from "../../../core/policy/evaluate-policy";
import { normalisePath, policyReadsBodies, requestCommand, type HttpRequestFacts } from "../../../core/policy/http-request";
import { redactSecret } from "../../../core/connections/types/http-credential";
import { holdForReview } from "../../pipeline/hold";
import { clientCredential, WWW_AUTHENTICATE } from "./client-credential";
import { HttpSessions, type HttpSession } from "./http-sessions";
import { sendRefusal, type RefusalBody } from "./refusal";
import { bodyFacts, bodyPreview, readBodyUpTo, type ReadBody } from "./request-body";
import { relayResponse, type RelayResult } from "./response-relay";
import { UpstreamPool, clientHeaders, upstreamHeaders, upstreamUrl } from "./upstream";

export const PROXY_PREFIX = "/proxy/";

/** `/proxy/<connection>/<path>` on the gateway's HTTP port: each request admitted, judged, forwarded with the connection's credential, masked and audited. */
export function mountProxy(router: HttpRouter, deps: GatewayDeps): { close: () => Promise<void> } {
  const sessions = new HttpSessions(deps);
  const pool = new UpstreamPool();
  router.mount(PROXY_PREFIX, "HTTP APIs: /proxy/<connection>/<path>, with Authorization: Bearer <Gatehouse key or token>", {
    request: (req, res, rest) => {
      handle(deps, sessions, pool, req, res, rest).catch((err) => {
        deps.log(`http: ${(err as Error).stack ?? err}`, "error");
        sendRefusal(res, 500, { error: "gateway_error", message: "the gateway could not handle this request" });
      });
    },
    // WebSocket upgrades are not relayed yet: refused plainly rather than forwarded unjudged.
    upgrade: (_req, socket) => rejectUpgrade(socket, "501 Not Implemented"),
  });
  return { close: async () => pool.close() };
}

const REFUSAL_STATUS = { unauthenticated: 401, forbidden: 403, "auth-unavailable": 503, unavailable: 503 } as const;

async function handle(deps: GatewayDeps, sessions: HttpSessions, pool: UpstreamPool, req: IncomingMessage, res: ServerResponse, rest: string): Promise<void> {
  const started = performance.now();
  const slash = rest.indexOf("/");
  let connectionName: string;
  try {
    connectionName = decodeURIComponent(slash < 0 ? rest : rest.slice(0, slash));
  } catch {
    connectionName = "";
  }
  const rawPath = slash < 0 ? "/" : rest.slice(slash);
  const rawSearch = searchOf(req.url);
  const credential = clientCredential(req.headers);
  if (!credential) {
    sendRefusal(res, 401, { error: "unauthenticated", message: "no Gatehouse credential: send Authorization: Bearer <key or token>" }, { "www-authenticate": WWW_AUTHENTICATE });
    return;
  }
  const opened = await sessions.get(req.socket as Socket, credential, connectionName);
  if (!opened.ok) {
    const { reason, message, hint } = opened.refusal;
    const headers = reason === "unauthenticated" ? { "www-authenticate": WWW_AUTHENTICATE } : undefined;
    sendRefusal(res, REFUSAL_STATUS[reason], { error: reason === "auth-unavailable" ? "unavailable" : reason, message, ...(hint ? { hint } : {}) }, headers);
    return;
  }
  const s = opened.session;
  if (s.endedBy !== null) return void sendEnded(res, s.endedBy);
  const method = (req.method ?? "GET").toUpperCase();
  const text = `${method} ${rawPath}${rawSearch}`;
  const path = normalisePath(rawPath);
  const audit = (outcome: "ok" | "error" | "denied", r: { status: number; bytesIn: number; bytesOut: number; rule?: string | null; message?: string | null; kind?: string; masked?: unknown }) => {
    s.bytesIn += r.bytesIn;
    s.bytesOut += r.bytesOut;
    s.scope.audit({
      action: "request",
      outcome,
      statement: text,
      statementKind: r.kind ?? method,
      durationMs: Math.round(performance.now() - started),
      message: r.message ?? null,
      details: { method, path: path ?? rawPath, status: r.status, bytesIn: r.bytesIn, bytesOut: r.bytesOut, rule: r.rule ?? null, ...(r.masked ? { masked: r.masked } : {}) },
    });
  };
  if (path === null) {
    const bytesOut = sendRefusal(res, 400, { error: "bad_request", message: "the path does not decode, or has . or .. segments: Gatehouse judges the path it forwards, so it refuses ambiguous ones" });
    return audit("denied", { status: 400, bytesIn: 0, bytesOut, message: "ambiguous path" });
  }
  const facts: HttpRequestFacts = { method, path, query: queryOf(rawSearch), headers: judgedHeaders(req), body: undefined };
  const policy = deps.policies.current(s.admission.connection.id);
  const limit = s.settings.maxBodyBytes;
  let body: ReadBody | null = null;
  if (policy && policyReadsBodies(policy.rules)) body = await readBodyUpTo(req, limit);
  facts.body = bodyFacts(body, req.headers["content-type"]);
  const command = requestCommand(facts, text);
  const verdict: Verdict = policy ? judgeCommands(policy, { name: s.admission.identity.name, groups: s.admission.identity.groups }, [command]) : { action: "allow" };
  const kind = command.kind;
  const rule: string | null = verdict.action === "allow" ? null : verdict.decision.rule;
  if (verdict.action === "deny") {
    const message = `Gatehouse denied this request: ${verdict.decision.reason}`;
    const bytesOut = sendRefusal(res, 403, { error: "refused", message, rule });
    return audit("denied", { status: 403, bytesIn: 0, bytesOut, rule, kind, message });
  }
  let reviewLink: string | undefined;
  if (verdict.action === "review") {
    body ??= await readBodyUpTo(req, limit);
    if (!body.whole) {
      const message = `Gatehouse cannot hold this request for review: its body is larger than the ${limit} bytes the connection buffers (${verdict.decision.reason})`;
      const bytesOut = sendRefusal(res, 413, { error: "too_large_to_hold", message, rule }, { connection: "close" });
      return audit("denied", { status: 413, bytesIn: 0, bytesOut, rule, kind, message });
    }
    const held = holdForReview(deps, s.scope.ctx, verdict, { statement: text + bodyPreview(body) });
    const gone = () => held.cancel("the client went away");
    res.once("close", gone);
    const endHold = { end: (reason: string) => held.cancel(`the session ended: ${reason}`) };
    s.inFlight.add(endHold);
    const outcome = await held.start((n) => (reviewLink = n.link));
    s.inFlight.delete(endHold);
    res.off("close", gone);
    if (s.endedBy !== null) return void sendEnded(res, s.endedBy);
    if (!outcome.approved) {
      const message = `Gatehouse did not run this request: ${outcome.message}`;
      const bytesOut = sendRefusal(res, 403, { error: "refused", message, rule, ...(reviewLink ? { review: reviewLink } : {}) });
      return audit("denied", { status: 403, bytesIn: 0, bytesOut, rule, kind, message });
    }
    if (res.destroyed) return audit("error", { status: 0, bytesIn: 0, bytesOut: 0, rule, kind, message: "approved, but the client had gone away" });
  }
  const result = await forward(s, pool, req, res, { method, rawPath, rawSearch, body, connectionName });
  audit(result.failed ? "error" : "ok", { status: result.status, bytesIn: result.bytesIn, bytesOut: result.bytesOut, rule, kind, message: result.note ?? null, masked: result.masked });
}

type Forwarded = RelayResult & { bytesIn: number; masked?: Record<string, number> | null };

/** Sends the request upstream with the connection's credential and relays the answer; 502/504 when the upstream is down or slow. */
function forward(
  s: HttpSession,
  pool: UpstreamPool,
  req: IncomingMessage,
  res: ServerResponse,
  r: { method: string; rawPath: string; rawSearch: string; body: ReadBody | null; connectionName: string },
): Promise<Forwarded> {
  const { settings, credential } = s;
  const forms = credential.forms;
  const url = upstreamUrl(settings, r.rawPath, r.rawSearch, credential);
  const whole = r.body?.whole ? r.body.body : null;
  const headers = upstreamHeaders(req.headers, settings, credential, whole ? whole.length : null);
  if (!whole && req.headers["content-length"] === undefined && req.headers["transfer-encoding"] === undefined) delete headers["content-length"];
  const lib = url.protocol === "https:" ? https : http;
  let bytesIn = 0;
  return new Promise<Forwarded>((resolve) => {
    let settled = false;
    const done = (f: Forwarded) => {
      if (settled) return;
      settled = true;
      s.inFlight.delete(flight);
      resolve(f);
    };
    const fail = (status: number, body: RefusalBody) => done({ status, bytesIn, bytesOut: sendRefusal(res, status, body), failed: true, note: body.message });
    const upReq = lib.request(url, { method: r.method, headers, agent: pool.agentFor(s.admission.connection.id, settings) });
    const flight = {
      end: (reason: string) => {
        upReq.destroy();
        if (!res.headersSent) done({ status: 403, bytesIn, bytesOut: sendEnded(res, reason), failed: true, note: `session ended: ${reason}` });
        else res.destroy();
      },
    };
    s.inFlight.add(flight);
    // Silence from the upstream for this long before it answers (a slow upload keeps the socket busy, so it is not cut).
    upReq.setTimeout(settings.timeoutMs, () => {
      upReq.destroy();
      fail(504, { error: "upstream_timeout", message: `the upstream did not answer within ${settings.timeoutMs} ms` });
    });
    upReq.once("error", (err) => fail(502, { error: "upstream_unavailable", message: `the upstream could not be reached: ${redactSecret(err.message, forms)}` }));
    res.once("close", () => {
      if (!res.writableFinished) upReq.destroy();
    });
    upReq.once("response", (up) => {
      // Streams (SSE, long downloads) may be quiet for longer: the timeout is for the answer to start.
      upReq.setTimeout(0);
      const proxyBase = `${PROXY_PREFIX}${encodeURIComponent(r.connectionName)}`;
      const masker = s.masker();
      masker?.takeCounts();
      relayResponse(up, res, { method: r.method, settings, headers: clientHeaders(up.headers, settings, proxyBase, forms), forms, masker }).then(
        (relayed) => done({ ...relayed, bytesIn, masked: masker?.takeCounts() ?? null }),
        (err: Error) => done({ status: up.statusCode ?? 502, bytesIn, bytesOut: 0, failed: true, note: redactSecret(err.message, forms) }),
      );
    });
    if (whole) {
      bytesIn = whole.length;
      upReq.end(whole);
      return;
    }
    for (const chunk of r.body && !r.body.whole ? r.body.head : []) {
      bytesIn += chunk.length;
      upReq.write(chunk);
    }
    req.on("data", (c: Buffer) => (bytesIn += c.length));
    req.pipe(upReq);
  });
}

function sendEnded(res: ServerResponse, reason: string): number {
  return sendRefusal(res, 403, { error: "session_ended", message: `Gatehouse ended this session: ${reason}` }, { connection: "close" });
}

function searchOf(url: string | undefined): string {
  const q = (url ?? "").indexOf("?");
  return q < 0 ? "" : (url ?? "").slice(q);
}

function queryOf(search: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of new URLSearchParams(search)) (out[k] ??= []).push(v);
  return out;
}

/** The headers rules read: everything but the credentials. */
function judgedHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (k === "authorization" || k === "proxy-authorization" || k === "cookie" || v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}
