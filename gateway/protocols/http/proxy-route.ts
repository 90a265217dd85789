import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import type { GatewayDeps } from "../../gateway-deps";
import type { HttpRouter } from "../../http/router";
import { rejectUpgrade } from "../../http/router";
import { judgeCommands, type Verdict } from "../../../core/policy/evaluate-policy";
import { normalisePath, policyReadsBodies, requestCommand, type HttpRequestFacts } from "../../../core/policy/http-request";
import { connectionTypeOf } from "../../../core/connections/registry";
import { injectedCredential } from "../../../core/connections/types/http-credential";
import type { HttpSettings } from "../../../core/connections/types/http";
import { holdForReview } from "../../pipeline/hold";
import { clientCredential, WWW_AUTHENTICATE } from "../../http/client-credential";
import { auditRequest, ClientSessions, type ClientSession } from "../../http/client-sessions";
import { sendRefusal } from "./refusal";
import { bodyFacts, bodyPreview, formMethods, isFormBody, readBodyUpTo, type ReadBody } from "../../http/request-body";
import type { Refuse } from "../../http/response-relay";
import { forward, type Forwarded, type ForwardRequest } from "../../http/forward";
import { binaryBody, maskedUploadScan, maskedValueInBody, maskedValueInQuery, sendsBackMasked } from "../../http/masked-upload";
import { BodySample } from "../../http/body-sample";
import { UpstreamPool } from "../../http/upstream";
import { PROXY_PREFIX_PATH } from "./proxy-paths";
import { relayUpgrade } from "./websocket-relay";
import { decideAccepted, prefersAsync, requestFingerprint } from "../../pipeline/accepted-reviews";

export const PROXY_PREFIX = PROXY_PREFIX_PATH;

/** `/proxy/<connection>/<path>` on the gateway's HTTP port: each request admitted, judged, forwarded with the connection's credential, masked and audited. */
export function mountProxy(router: HttpRouter, deps: GatewayDeps): { close: () => Promise<void> } {
  const sessions = httpSessions(deps);
  const pool = new UpstreamPool((c) => deps.connectors.dialerFor(c));
  router.mount(PROXY_PREFIX, "HTTP APIs: /proxy/<connection>/<path>, with Authorization: Bearer <Gatehouse key or token>", {
    continueOnRead: true,
    request: (req, res, rest) => {
      handle(deps, sessions, pool, req, res, rest).catch((err) => {
        deps.log(`http: ${(err as Error).stack ?? err}`, "error");
        sendRefusal(res, 500, { error: "gateway_error", message: "the gateway could not handle this request" });
      });
    },
    upgrade: (req, socket, head, rest) => {
      relayUpgrade(deps, sessions, pool, req, socket, head, rest).catch((err) => {
        deps.log(`http: upgrade: ${(err as Error).stack ?? err}`, "error");
        rejectUpgrade(socket, "500 Internal Server Error");
      });
    },
  });
  return { close: async () => pool.close() };
}

const REFUSAL_STATUS = { unauthenticated: 401, forbidden: 403, "auth-unavailable": 503, unavailable: 503 } as const;

export type HttpSessions = ClientSessions<HttpSettings>;

/** Sessions of HTTP API clients: the connection's settings and the credential it injects. */
export function httpSessions(deps: GatewayDeps): HttpSessions {
  return new ClientSessions(deps, {
    protocol: "http",
    listener: "http",
    servesLabel: "an HTTP",
    prepare: (connection) => {
      const settings = connectionTypeOf("http").parseSettings(connection);
      return { settings, credential: injectedCredential(settings, connection.secret.credential), start: `HTTP client connection to ${settings.baseUrl}` };
    },
  });
}

/** The proxy's own errors on the way to the upstream, as its JSON refusals. */
const refuseJson: Refuse = (res, status, code, message) => sendRefusal(res, status, { error: code, message });

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
  // GATEHOUSE_REQUIRE_TLS: keys travel in headers, so a plain request is refused before its credential is read.
  if (deps.config.tls.required && !(req.socket as TLSSocket).encrypted) {
    sendRefusal(res, 403, { error: "tls_required", message: "this gateway requires TLS: call https:// on the same port" });
    return;
  }
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
  const keep = s.settings.storeBodyBytes;
  let body: ReadBody | null = null;
  const audit = (
    outcome: "ok" | "error" | "denied",
    r: { status: number; bytesIn: number; bytesOut: number; rule?: string | null; message?: string | null; kind?: string; masked?: unknown; bodies?: Forwarded["bodies"] },
  ) => {
    // Bodies kept (the connection's storeBodyBytes): as forwarded; for a request refused before, what of it was read.
    const bodies = keep > 0 ? (r.bodies ?? { request: body ? sampleOf(body, keep, req.headers["content-type"], s.scope.textMask()) : null, response: null }) : undefined;
    // Keys set one by one, not spread in (`...(x ? { x } : {})`): a spread among keys is V8's slow path on Node 20.
    const details: Record<string, unknown> = { method, path: path ?? rawPath, status: r.status, rule: r.rule ?? null };
    if (r.masked) details.masked = r.masked;
    if (bodies?.request) details.requestBody = bodies.request;
    if (bodies?.response) details.responseBody = bodies.response;
    auditRequest(s, {
      outcome,
      statement: text,
      kind: r.kind ?? method,
      startedAt: started,
      message: r.message ?? null,
      bytesIn: r.bytesIn,
      bytesOut: r.bytesOut,
      details,
    });
  };
  if (path === null) {
    const bytesOut = sendRefusal(res, 400, { error: "bad_request", message: "the path does not decode, or has . or .. segments: Gatehouse judges the path it forwards, so it refuses ambiguous ones" });
    return audit("denied", { status: 400, bytesIn: 0, bytesOut, message: "ambiguous path" });
  }
  const policy = deps.policies.current(s.admission.connection.id);
  // What rules read of it: built only under a policy (the common unjudged request skips the copies).
  const facts: HttpRequestFacts | null = policy ? { method, path, query: queryOf(rawSearch), headers: judgedHeaders(req), body: undefined } : null;
  const limit = s.settings.maxBodyBytes;
  const gone = () => audit("error", { status: 0, bytesIn: 0, bytesOut: 0, kind: `${method} ${path}`, message: "the client went away while sending its body" });
  // A form's `_method` field overrides the method in many frameworks: a form body is read to judge it.
  const form = method === "POST" && isFormBody(req.headers["content-type"]);
  if (policy && (policyReadsBodies(policy.rules) || form)) {
    body = await readBodyUpTo(req, limit).catch(() => null);
    if (body === null) return gone();
  }
  if (facts) facts.body = bodyFacts(body, req.headers["content-type"]);
  if (form && facts) {
    // A compressed form (Content-Encoding) cannot be read for the field either: an upstream that decodes it would see it.
    const coded =
      String(req.headers["content-encoding"] ?? "identity")
        .trim()
        .toLowerCase() !== "identity";
    if (!body?.whole || coded) {
      const message = coded
        ? `Gatehouse cannot judge this form: its body is compressed (Content-Encoding: ${req.headers["content-encoding"]}), so a _method field in it could not be read; send it uncompressed`
        : `Gatehouse cannot judge this form: its body is larger than the ${limit} bytes the connection buffers, so a _method field in it could not be read`;
      const status = coded ? 415 : 413;
      const bytesOut = sendRefusal(res, status, { error: coded ? "unreadable_body" : "too_large_to_judge", message }, { connection: "close" });
      return audit("denied", { status, bytesIn: 0, bytesOut, kind: `${method} ${path}`, message });
    }
    facts.formMethods = formMethods(body);
  }
  const command = facts && requestCommand(facts, text);
  const verdict: Verdict = policy && command ? judgeCommands(policy, { name: s.admission.identity.name, groups: s.admission.identity.groups }, [command]) : { action: "allow" };
  const kind = command?.kind ?? `${method} ${path}`;
  const rule: string | null = verdict.action === "allow" ? null : verdict.decision.rule;
  if (verdict.action === "deny") {
    // Its body, for the audit event, when the connection keeps bodies (what the client tried to send).
    if (keep > 0) body ??= await readBodyUpTo(req, limit).catch(() => null);
    const message = `Gatehouse denied this request: ${verdict.decision.reason}`;
    const bytesOut = sendRefusal(res, 403, { error: "refused", message, rule });
    return audit("denied", { status: 403, bytesIn: 0, bytesOut, rule, kind, message });
  }
  // A masked session may not send back what masking showed it (masked-upload.ts): read before it is held or sent.
  let inspectUpload: ForwardRequest["inspectUpload"];
  if (s.masker()) {
    if (req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0) {
      body ??= await readBodyUpTo(req, limit).catch(() => null);
      if (body === null) return gone();
    }
    const where = maskedValueInQuery(method, facts?.query ?? queryOf(rawSearch)) ?? (body?.whole ? maskedValueInBody(body.body, req.headers, limit) : null);
    if (where) {
      const message = sendsBackMasked(where);
      const bytesOut = sendRefusal(res, 403, { error: "masked_value", message }, body && !body.whole ? { connection: "close" } : undefined);
      return audit("denied", { status: 403, bytesIn: 0, bytesOut, kind, message });
    }
    if (body && !body.whole && !binaryBody(req.headers)) inspectUpload = { scan: maskedUploadScan(), refusal: sendsBackMasked("the body") };
  }
  let reviewLink: string | undefined;
  // Set when an earlier 202 review of this very request approved it (it runs now, once).
  let approval: string | null = null;
  if (verdict.action === "review") {
    body ??= await readBodyUpTo(req, limit).catch(() => null);
    if (body === null) return gone();
    if (!body.whole) {
      const message = `Gatehouse cannot hold this request for review: its body is larger than the ${limit} bytes the connection buffers (${verdict.decision.reason})`;
      const bytesOut = sendRefusal(res, 413, { error: "too_large_to_hold", message, rule }, { connection: "close" });
      return audit("denied", { status: 413, bytesIn: 0, bytesOut, rule, kind, message });
    }
    if (s.settings.heldRequests === "accepted" || prefersAsync(req.headers.prefer)) {
      const fingerprint = requestFingerprint({ identityName: s.admission.identity.name, connectionName, method, target: rawPath + rawSearch, body: body.body });
      const answer = await answerAccepted(deps, s, verdict, { statement: text + bodyPreview(body), fingerprint }, res);
      if (answer.answered) return audit("denied", { status: answer.status, bytesIn: 0, bytesOut: answer.bytesOut, rule, kind, message: answer.message });
      approval = answer.message;
    }
  }
  if (verdict.action === "review" && approval === null) {
    if (!body?.whole) throw new Error("a held request's body is read whole first");
    const held = holdForReview(deps, s.scope.ctx, verdict, { statement: text + bodyPreview(body) });
    const left = () => held.cancel("the client went away");
    res.once("close", left);
    const endHold = { end: (reason: string) => held.cancel(`the session ended: ${reason}`) };
    s.inFlight.add(endHold);
    const outcome = await held.start((n) => (reviewLink = n.link));
    s.inFlight.delete(endHold);
    res.off("close", left);
    if (s.endedBy !== null) return void sendEnded(res, s.endedBy);
    if (!outcome.approved) {
      const message = `Gatehouse did not run this request: ${outcome.message}`;
      const bytesOut = sendRefusal(res, 403, { error: "refused", message, rule, ...(reviewLink ? { review: reviewLink } : {}) });
      return audit("denied", { status: 403, bytesIn: 0, bytesOut, rule, kind, message });
    }
    if (res.destroyed) return audit("error", { status: 0, bytesIn: 0, bytesOut: 0, rule, kind, message: "approved, but the client had gone away" });
  }
  const proxyBase = `${PROXY_PREFIX}${encodeURIComponent(connectionName)}`;
  const result = await forward(s, pool, req, res, { method, rawPath, rawSearch, body, proxyBase, refuse: refuseJson, ended: sendEnded, storeBodyBytes: keep, inspectUpload });
  const message = [approval, result.note].filter(Boolean).join("; ") || null;
  audit(result.failed ? "error" : "ok", { status: result.status, bytesIn: result.bytesIn, bytesOut: result.bytesOut, rule, kind, message, masked: result.masked, bodies: result.bodies });
}

type Accepted = { answered: true; status: number; bytesOut: number; message: string } | { answered: false; message: string };

/** A held request on a connection that answers at once (see accepted-reviews.ts), rendered as the proxy's JSON. */
async function answerAccepted(
  deps: GatewayDeps,
  s: ClientSession<HttpSettings>,
  verdict: Extract<Verdict, { action: "review" }>,
  req: { statement: string; fingerprint: string },
  res: ServerResponse,
): Promise<Accepted> {
  const rule = verdict.decision.rule;
  const d = await decideAccepted(deps, s.scope.ctx, verdict, req);
  if (d.kind === "run") return { answered: false, message: d.message };
  if (d.kind === "refused")
    return { answered: true, status: 403, message: d.message, bytesOut: sendRefusal(res, 403, { error: "refused", message: d.message, rule, ...(d.reviewId ? { review: d.reviewId } : {}) }) };
  const bytesOut = sendRefusal(
    res,
    202,
    { error: "held_for_review", status: "pending_approval", message: d.message, review: d.reviewId, link: d.link, rule },
    { location: d.link, "retry-after": "10" },
  );
  return { answered: true, status: 202, bytesOut, message: `held for review, answered 202: ${d.link}` };
}

function sendEnded(res: ServerResponse, reason: string): number {
  return sendRefusal(res, 403, { error: "session_ended", message: `Gatehouse ended this session: ${reason}` }, { connection: "close" });
}

/** What of a request body read before it was refused (a held request, a rule on the body) its audit event keeps. */
function sampleOf(body: ReadBody, keep: number, contentType: string | string[] | undefined, mask: ((t: string) => string) | undefined) {
  const sample = new BodySample(keep);
  for (const c of body.whole ? [body.body] : body.head) sample.add(c);
  const stored = sample.stored(Array.isArray(contentType) ? contentType[0] : contentType, mask);
  // Only the start of a body too large to buffer was read.
  return stored && !body.whole ? { ...stored, truncated: true } : stored;
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
