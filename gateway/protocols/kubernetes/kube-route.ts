import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import type { GatewayDeps } from "../../gateway-deps";
import type { HttpRouter } from "../../http/router";
import { judgeCommands, type Verdict } from "../../../core/policy/evaluate-policy";
import { decideAccepted, prefersAsync, requestFingerprint } from "../../pipeline/accepted-reviews";
import { holdForReview } from "../../pipeline/hold";
import { clientCredential } from "../../http/client-credential";
import { bodyPreview, readBodyUpTo, type ReadBody } from "../../http/request-body";
import { forward } from "../../http/forward";
import { UpstreamPool } from "../../http/upstream";
import type { Refuse } from "../../http/response-relay";
import type { ValueMasker } from "../../../core/masking/value-masker";
import { kubeSessions, type KubeSessions } from "./kube-sessions";
import { isSecretsRequest, MASKED_SECRET_DATA, secretAwareMasker } from "./secret-masking";
import { maskedValueInBody, sendsBackMasked } from "../../http/masked-upload";
import { endWatch, sendStatus } from "./status";
import { kubeAuditDetails, kubeHeaders, readKubeRequest, splitTarget, KUBE_PREFIX_PATH } from "./kube-target";
import { auditRequest } from "../../http/client-sessions";
import { relayUpgrade } from "./pod-upgrade";
import { RecentRefusals } from "./recent-refusals";

export const KUBE_PREFIX = KUBE_PREFIX_PATH;

const REFUSAL_STATUS = { unauthenticated: 401, forbidden: 403, "auth-unavailable": 503, unavailable: 503 } as const;
const WWW_AUTHENTICATE = 'Bearer realm="gatehouse"';
const BODY_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** `/k8s/<connection>/...` on the gateway's HTTP port (TLS only): each API request admitted, judged as a command, forwarded with the connection's credential, masked and audited. */
export function mountKubernetes(router: HttpRouter, deps: GatewayDeps): { close: () => Promise<void> } {
  const sessions = kubeSessions(deps);
  const pool = new UpstreamPool((c) => deps.connectors.dialerFor(c));
  const recent = new RecentRefusals();
  const secretMaskers = new SecretMaskers();
  router.mount(KUBE_PREFIX, "Kubernetes API servers: /k8s/<connection>/... over TLS (kubeconfig: `gatehouse kubeconfig <connection>`)", {
    request: (req, res, rest) => {
      handle(deps, sessions, pool, secretMaskers, req, res, rest).catch((err) => {
        deps.log(`kubernetes: ${(err as Error).stack ?? err}`, "error");
        sendStatus(res, 500, "the gateway could not handle this request");
      });
    },
    // exec and attach over WebSocket, recorded; port-forward and SPDY are refused with a Status.
    upgrade: (req, socket, head, rest) => {
      relayUpgrade(deps, sessions, recent, req, socket, head, rest).catch((err) => {
        deps.log(`kubernetes: upgrade: ${(err as Error).stack ?? err}`, "error");
        socket.destroy();
      });
    },
  });
  return { close: async () => pool.close() };
}

const refuseStatus: Refuse = (res, status, _code, message) => sendStatus(res, status, message);
const sendEnded = (res: ServerResponse, reason: string) => sendStatus(res, 403, `Gatehouse ended this session: ${reason}`, { headers: { connection: "close" } });

async function handle(deps: GatewayDeps, sessions: KubeSessions, pool: UpstreamPool, secretMaskers: SecretMaskers, req: IncomingMessage, res: ServerResponse, rest: string): Promise<void> {
  const started = performance.now();
  // kubectl sends bearer tokens only over TLS; the gateway refuses plain requests before reading one.
  if (!(req.socket as TLSSocket).encrypted) return void sendStatus(res, 403, "the Kubernetes proxy is served over TLS only: use https:// on the same port");
  const { connectionName, rawPath, rawSearch } = splitTarget(rest, req.url);
  const credential = clientCredential(req.headers);
  if (!credential)
    return void sendStatus(res, 401, "no Gatehouse credential: the kubeconfig's token must be a Gatehouse key or an OIDC access token", { headers: { "www-authenticate": WWW_AUTHENTICATE } });
  const opened = await sessions.get(req.socket as Socket, credential, connectionName);
  if (!opened.ok) {
    const { reason, message, hint } = opened.refusal;
    return void sendStatus(res, REFUSAL_STATUS[reason], hint ? `${message}. ${hint}` : message, reason === "unauthenticated" ? { headers: { "www-authenticate": WWW_AUTHENTICATE } } : {});
  }
  const s = opened.session;
  if (s.endedBy !== null) return void sendEnded(res, s.endedBy);
  const method = (req.method ?? "GET").toUpperCase();
  const { text, path, facts, command } = readKubeRequest(method, rawPath, rawSearch);
  const audit = (outcome: "ok" | "error" | "denied", r: { status: number; bytesIn: number; bytesOut: number; rule?: string | null; message?: string | null; masked?: unknown }) =>
    auditRequest(s, {
      outcome,
      statement: text,
      kind: command.kind,
      startedAt: started,
      message: r.message ?? null,
      bytesIn: r.bytesIn,
      bytesOut: r.bytesOut,
      // Object.assign, not a spread among keys (V8's slow path on Node 20, for every request).
      details: Object.assign(kubeAuditDetails(facts), { status: r.status, rule: r.rule ?? null }, r.masked ? { masked: r.masked } : {}),
    });
  if (path === null) {
    const bytesOut = sendStatus(res, 400, "the path does not decode, or has . or .. segments: Gatehouse judges the path it forwards, so it refuses ambiguous ones");
    return audit("denied", { status: 400, bytesIn: 0, bytesOut, message: "ambiguous path" });
  }
  const limit = s.settings.maxBodyBytes;
  let body: ReadBody | null = null;
  if (BODY_METHODS.has(method)) {
    body = await readBodyUpTo(req, limit).catch(() => null);
    if (body === null) return audit("error", { status: 0, bytesIn: 0, bytesOut: 0, message: "the client went away while sending its body" });
    if (!body.whole) {
      const message = `the request body is larger than the ${limit} bytes this connection accepts`;
      const bytesOut = sendStatus(res, 413, message, { headers: { connection: "close" } });
      return audit("denied", { status: 413, bytesIn: 0, bytesOut, message });
    }
  }
  const policy = deps.policies.current(s.admission.connection.id);
  const verdict: Verdict = policy ? judgeCommands(policy, { name: s.admission.identity.name, groups: s.admission.identity.groups }, [command]) : { action: "allow" };
  const rule: string | null = verdict.action === "allow" ? null : verdict.decision.rule;
  if (verdict.action === "deny") {
    const message = `Gatehouse denied this request: ${verdict.decision.reason}`;
    return audit("denied", { status: 403, bytesIn: 0, bytesOut: sendStatus(res, 403, message), rule, message });
  }
  const { identity, connection } = s.admission;
  const exempt = s.settings.secretsExemptGroups.some((g) => identity.groups.includes(g));
  const base = s.masker();
  const secrets = isSecretsRequest(facts) && !exempt;
  const masker = secrets ? secretAwareMasker(base, deps.masking.keyFor(connection.id), secretMaskers.of(s)) : base;
  // What masking showed is not sent back (`kubectl get secret -o yaml | kubectl replace -f -` would store base64 of [REDACTED]): see masked-upload.ts.
  const where = masker && body?.whole ? maskedValueInBody(body.body, req.headers, limit, secrets ? [MASKED_SECRET_DATA] : []) : null;
  if (where) {
    const message = sendsBackMasked(where);
    return audit("denied", { status: 403, bytesIn: 0, bytesOut: sendStatus(res, 403, message), message });
  }
  // Set when an earlier 202 review of this very request approved it (it runs now, once).
  let approval: string | null = null;
  const statement = `${text}\n(kubectl: ${command.kind}${facts.namespace ? ` -n ${facts.namespace}` : ""}${facts.name ? ` ${facts.name}` : ""})${bodyPreview(body)}`;
  if (verdict.action === "review" && prefersAsync(req.headers.prefer)) {
    // kubectl never asks this; a program that does (Gatehouse's MCP kubernetes_request) is answered 202 at once and sends the request again once approved.
    const fingerprint = requestFingerprint({ identityName: s.admission.identity.name, connectionName, method, target: rawPath + rawSearch, body: body?.whole ? body.body : null });
    const d = await decideAccepted(deps, s.scope.ctx, verdict, { statement, fingerprint });
    if (d.kind === "refused") return audit("denied", { status: 403, bytesIn: 0, bytesOut: sendStatus(res, 403, d.message), rule, message: d.message });
    if (d.kind === "pending") {
      const bytesOut = sendStatus(res, 202, d.message, { details: { reviewId: d.reviewId, link: d.link }, headers: { location: d.link, "retry-after": "10" } });
      return audit("denied", { status: 202, bytesIn: 0, bytesOut, rule, message: `held for review, answered 202: ${d.link}` });
    }
    approval = d.message;
  }
  if (verdict.action === "review" && approval === null) {
    // kubectl waits with the request open; the review page shows the request line, the command and the start of the body.
    const held = holdForReview(deps, s.scope.ctx, verdict, { statement });
    const left = () => held.cancel("the client went away");
    res.once("close", left);
    const endHold = { end: (reason: string) => held.cancel(`the session ended: ${reason}`) };
    s.inFlight.add(endHold);
    let link: string | undefined;
    const outcome = await held.start((n) => (link = n.link));
    s.inFlight.delete(endHold);
    res.off("close", left);
    if (s.endedBy !== null) return void sendEnded(res, s.endedBy);
    if (!outcome.approved) {
      const message = `Gatehouse did not run this request: ${outcome.message}${link ? ` (review: ${link})` : ""}`;
      return audit("denied", { status: 403, bytesIn: 0, bytesOut: sendStatus(res, 403, message), rule, message });
    }
    if (res.destroyed) return audit("error", { status: 0, bytesIn: 0, bytesOut: 0, rule, message: "approved, but the client had gone away" });
  }
  const watch = facts.verb === "watch";
  const followed = facts.subresource === "log" && /^(true|1)$/.test(new URLSearchParams(rawSearch).get("follow") ?? "");
  // A watch or a followed log is long: its start is an event of its own (the `request` event, with its status and duration, comes when it ends).
  if (watch || followed)
    s.scope.audit({
      action: "request.start",
      outcome: "ok",
      statement: text,
      statementKind: command.kind,
      message: watch ? "watch started" : "log follow started",
      details: { ...kubeAuditDetails(facts), rule },
    });
  const result = await forward(s, pool, req, res, {
    method,
    rawPath,
    rawSearch,
    body,
    proxyBase: `${KUBE_PREFIX}${encodeURIComponent(connectionName)}`,
    refuse: refuseStatus,
    ended: sendEnded,
    endStream: watch ? (r, reason) => endWatch(r, 403, `Gatehouse ended this session: ${reason}`) : undefined,
    masker,
    jsonLines: watch,
    adjustHeaders: (h) => kubeHeaders(h, req, s.settings.impersonate ? identity : null),
  });
  // A watch or followed log ends when its client stops it (kubectl get -w, logs -f, Ctrl-C): that is its normal end, not a failure.
  const stopped = (watch || followed) && result.failed && /premature close/i.test(result.note ?? "");
  const message = [approval, stopped ? `the client ended the ${watch ? "watch" : "log follow"}` : result.note].filter(Boolean).join("; ") || null;
  audit(result.failed && !stopped ? "error" : "ok", { status: result.status, bytesIn: result.bytesIn, bytesOut: result.bytesOut, rule, message, masked: result.masked });
}

/** Each session's Secret-aware maskers (per state of the connection's rules), kept while the session lives. */
class SecretMaskers {
  private readonly bySession = new WeakMap<object, WeakMap<object, ValueMasker>>();

  of(session: object): WeakMap<object, ValueMasker> {
    let c = this.bySession.get(session);
    if (!c) this.bySession.set(session, (c = new WeakMap()));
    return c;
  }
}
