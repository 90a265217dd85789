import https from "node:https";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import type { GatewayDeps } from "../../gateway-deps";
import { judgeCommands, type Verdict } from "../../../core/policy/evaluate-policy";
import { redactSecret } from "../../../core/connections/types/http-credential";
import type { Recorder } from "../../../core/recordings/recorder";
import { holdForReview } from "../../pipeline/hold";
import { clientCredential } from "../../http/client-credential";
import { clientHeaders, headerTokens, upstreamHeaders, upstreamUrl } from "../../http/upstream";
import { auditRequest } from "../../http/client-sessions";
import type { KubeSessions } from "./kube-sessions";
import type { RecentRefusals } from "./recent-refusals";
import { refuseUpgradeWithStatus } from "./status";
import { kubeAuditDetails, kubeHeaders, readKubeRequest, splitTarget, KUBE_PREFIX_PATH } from "./kube-target";
import { relayChannels } from "./channel-relay";
import { relayPortForward } from "./port-forward-relay";
import { dialConnection } from "../../connector/http-dial";

const REFUSAL_STATUS = { unauthenticated: 401, forbidden: 403, "auth-unavailable": 503, unavailable: 503 } as const;
/** The pod subresources relayed as WebSocket upgrades, and what kubectl calls them. */
const BINARY_CHANNELS = /^(v\d+\.)?channel\.k8s\.io$/i;
const RELAYED = { exec: "exec", attach: "attach", portforward: "port-forward" } as const;

/** What the relay of one upgrade gets once the API server has switched protocols. */
export type Upgraded = {
  upSocket: Duplex;
  upHead: Buffer;
  /** Audits the upgrade's end (its `request` event, with the bytes moved). */
  audit: (outcome: "ok" | "error", message: string | null, bytesIn: number, bytesOut: number) => void;
  /** Set by the relay: how a kill, revocation or expiry ends the live stream. */
  onEnd: (end: (reason: string) => void) => void;
};

/**
 * The upgrades of `/k8s/<connection>/...` (`kubectl exec`, `cp`, `attach`, `port-forward`): admitted,
 * judged as `create pods/<subresource>` (the verb the API server authorises them with, whatever the
 * upgrade's method) and held like any request, then upgraded on the API server with the connection's
 * credential and handed to the relay. Anything else gets a Status.
 */
export async function relayUpgrade(deps: GatewayDeps, sessions: KubeSessions, recent: RecentRefusals, req: IncomingMessage, socket: Duplex, head: Buffer, rest: string): Promise<void> {
  const started = performance.now();
  socket.on("error", () => {});
  if (!(req.socket as TLSSocket).encrypted) return refuseUpgradeWithStatus(socket, 403, "the Kubernetes proxy is served over TLS only: use https:// on the same port");
  const { connectionName, rawPath, rawSearch } = splitTarget(rest, req.url);
  const credential = clientCredential(req.headers);
  if (!credential) return refuseUpgradeWithStatus(socket, 401, "no Gatehouse credential: the kubeconfig's token must be a Gatehouse key or an OIDC access token");
  const opened = await sessions.get(req.socket as Socket, credential, connectionName);
  if (!opened.ok) return refuseUpgradeWithStatus(socket, REFUSAL_STATUS[opened.refusal.reason], opened.refusal.message);
  const s = opened.session;
  const { text, path, query, facts, command } = readKubeRequest(req.method ?? "GET", rawPath, rawSearch, "create");
  const commandLine = query.command ?? [];
  const audit = (outcome: "ok" | "error" | "denied", status: number, message: string | null, rule: string | null, bytesIn = 0, bytesOut = 0) =>
    auditRequest(s, {
      outcome,
      statement: text,
      kind: command.kind,
      startedAt: started,
      message,
      bytesIn,
      bytesOut,
      details: { ...kubeAuditDetails(facts), ...(facts.subresource === "exec" ? { command: commandLine } : {}), status, rule },
    });
  const key = `${s.admission.identity.id} ${rawPath}${rawSearch}`;
  const refuse = (code: number, message: string, rule: string | null) => {
    recent.remember(key, code, message);
    refuseUpgradeWithStatus(socket, code, message);
    audit("denied", code, message, rule);
  };
  const kind = facts.resource === "pods" && facts.subresource ? RELAYED[facts.subresource as keyof typeof RELAYED] : undefined;
  // exec and attach are read frame by frame (recorded, masked, typed lines judged): WebSocket only. A
  // port-forward is relayed as bytes either way.
  const upgrade = String(req.headers.upgrade ?? "").toLowerCase();
  // kubectl's SPDY retry of a refused WebSocket upgrade: the same refusal, never a second verdict or review.
  const earlier = upgrade === "websocket" ? undefined : recent.take(key);
  if (earlier) {
    refuseUpgradeWithStatus(socket, earlier.code, earlier.message);
    return audit("denied", earlier.code, earlier.message, null);
  }
  const relayable = upgrade === "websocket" || (kind === "port-forward" && upgrade.startsWith("spdy/"));
  if (path === null || !kind || !relayable) {
    const message = "Gatehouse relays pod exec and attach over WebSocket, and port-forward over WebSocket or SPDY; nothing else is upgraded";
    refuseUpgradeWithStatus(socket, 403, message);
    return audit("denied", 403, message, null);
  }
  // exec and attach frames are read as the binary channel protocols lay them out (a channel byte, then
  // data); the base64 ones are not offered to the API server, and a client offering nothing else is refused.
  const offered = headerTokens(req.headers["sec-websocket-protocol"]);
  const binary = offered.filter((p) => BINARY_CHANNELS.test(p));
  if (kind !== "port-forward" && upgrade === "websocket" && binary.length === 0) {
    refuseUpgradeWithStatus(socket, 400, "Gatehouse relays exec and attach over the binary channel subprotocols (v5.channel.k8s.io, v4.channel.k8s.io, ...) only");
    return audit("denied", 400, "no binary channel subprotocol offered", null);
  }
  const what = `kubectl ${kind} -n ${facts.namespace} ${facts.name}${kind === "exec" ? ` -- ${commandLine.join(" ")}` : kind === "port-forward" ? ` (ports ${(query.ports ?? []).join(", ")})` : ""}`;
  const policy = deps.policies.current(s.admission.connection.id);
  const verdict: Verdict = policy ? judgeCommands(policy, { name: s.admission.identity.name, groups: s.admission.identity.groups }, [command]) : { action: "allow" };
  const rule = verdict.action === "allow" ? null : verdict.decision.rule;
  if (verdict.action === "deny") return refuse(403, `Gatehouse denied this request: ${verdict.decision.reason}`, rule);
  if (verdict.action === "review") {
    const held = holdForReview(deps, s.scope.ctx, verdict, { statement: `${text}\n(${what})` });
    socket.once("close", () => held.cancel("the client went away"));
    // A session ended from outside (kill, revocation, expiry) while its upgrade is held cancels the hold.
    const endHold = { end: (reason: string) => held.cancel(`the session ended: ${reason}`) };
    s.inFlight.add(endHold);
    const outcome = await held.start(() => {});
    s.inFlight.delete(endHold);
    if (!outcome.approved) return refuse(403, `Gatehouse did not run this request: ${outcome.message}`, rule);
    if (socket.destroyed) return audit("error", 0, "approved, but the client had gone away", rule);
  }
  const { identity, connection } = s.admission;
  let recorder: Recorder | null = null;
  try {
    if (kind !== "port-forward")
      recorder = await s.scope.record({ width: 80, height: 24, title: `${identity.name} @ ${connection.name} (kubectl ${kind} ${facts.namespace}/${facts.name})`, env: { TERM: "xterm-256color" } });
  } catch {
    const message = `the gateway cannot record this ${kind} session right now; try again shortly`;
    refuseUpgradeWithStatus(socket, 503, message);
    return audit("error", 503, message, rule);
  }
  const { settings, credential: cred } = s;
  const url = upstreamUrl(settings, rawPath, rawSearch, cred);
  const headers = upstreamHeaders(req.headers, settings, cred, null, { addr: req.socket.remoteAddress ?? null, tls: true });
  delete headers["content-length"];
  delete headers["sec-websocket-extensions"];
  if (kind !== "port-forward" && upgrade === "websocket") headers["sec-websocket-protocol"] = binary.join(", ");
  kubeHeaders(headers, req, settings.impersonate ? identity : null);
  headers.connection = "Upgrade";
  headers.upgrade = upgrade === "websocket" ? "websocket" : String(req.headers.upgrade);
  const upReq = https.request(url, {
    method: "GET",
    headers,
    // Node uses createConnection only without an agent (false would make a fresh default one).
    agent: s.admission.connection.connector ? undefined : false,
    rejectUnauthorized: settings.tlsVerify,
    ca: settings.caBundle || undefined,
    cert: settings.clientCert || undefined,
    key: settings.clientKey || undefined,
    createConnection: s.admission.connection.connector ? dialConnection(deps.connectors.dialerFor(s.admission.connection), true) : undefined,
  });
  upReq.setTimeout(settings.timeoutMs, () => upReq.destroy(new Error(`the API server did not answer within ${settings.timeoutMs} ms`)));
  // Ended from outside (kill, revocation, expiry): before the upgrade, cut; after it, the relay's own end.
  let endLive: ((reason: string) => void) | undefined;
  const flight = { end: (reason: string) => (endLive ? endLive(reason) : (socket.destroy(), upReq.destroy())) };
  s.inFlight.add(flight);
  socket.once("close", () => s.inFlight.delete(flight));
  upReq.once("error", (err) => {
    const message = `the API server could not be reached: ${redactSecret(err.message, cred.forms)}`;
    refuseUpgradeWithStatus(socket, 502, message);
    audit("error", 502, message, rule);
  });
  upReq.once("response", (res) => {
    const status = res.statusCode ?? 502;
    res.resume();
    const message = `the API server answered ${status} instead of switching protocols`;
    refuseUpgradeWithStatus(socket, status >= 400 ? status : 502, message);
    audit("error", status, message, rule);
  });
  upReq.once("upgrade", (upRes, upSocket, upHead) => {
    upReq.setTimeout(0);
    const out = clientHeaders(upRes.headers, settings, `${KUBE_PREFIX_PATH}${encodeURIComponent(connectionName)}`, cred.forms);
    out.connection = "Upgrade";
    out.upgrade = upRes.headers.upgrade ?? headers.upgrade;
    const lines = Object.entries(out).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => `${k}: ${x}`) : [`${k}: ${v}`]));
    socket.write(`HTTP/1.1 101 Switching Protocols\r\n${lines.join("\r\n")}\r\n\r\n`);
    s.scope.audit({
      action: "request.start",
      outcome: "ok",
      statement: text,
      statementKind: command.kind,
      message: `${kind} started`,
      details: { ...kubeAuditDetails(facts), ...(kind === "exec" ? { command: commandLine } : {}), rule },
    });
    const upgraded: Upgraded = {
      upSocket,
      upHead,
      audit: (outcome, message, bytesIn, bytesOut) => audit(outcome, 101, message, rule, bytesIn, bytesOut),
      onEnd: (end) => (endLive = end),
    };
    if (kind === "port-forward") return relayPortForward(socket, head, upgraded);
    relayChannels(deps, s, { kind, query, facts }, socket, head, upgraded, recorder!).catch((err) => {
      deps.log(`kubernetes: ${kind} relay: ${(err as Error).stack ?? err}`, "error");
      socket.destroy();
      upSocket.destroy();
    });
  });
  upReq.end();
}
