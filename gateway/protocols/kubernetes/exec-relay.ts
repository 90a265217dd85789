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
import { SecretRedactor } from "../../http/secret-redactor";
import { clientHeaders, upstreamHeaders, upstreamUrl } from "../../http/upstream";
import type { KubeSessions } from "./kube-sessions";
import { refuseUpgradeWithStatus } from "./status";
import { WsFrameReader } from "./ws-frames";
import { StreamTextMasker } from "../../../core/masking/stream-text-masker";
import type { ValueMasker } from "../../../core/masking/value-masker";
import { kubeAuditDetails, kubeHeaders, readKubeRequest, splitTarget, KUBE_PREFIX_PATH } from "./kube-target";
import { auditRequest } from "../../http/client-sessions";

const REFUSAL_STATUS = { unauthenticated: 401, forbidden: 403, "auth-unavailable": 503, unavailable: 503 } as const;
const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, resize: 4 } as const;

/**
 * `kubectl exec` (and `cp`, which is exec of tar) over WebSocket (`v5.channel.k8s.io` and the older
 * channel subprotocols): admitted, judged as `create pods/exec` (the verb the API server authorises
 * exec with) and held like any request, recorded as a terminal (asciicast: stdout and stderr as
 * output, stdin as input, resizes), then relayed byte for byte with the connection's credential.
 * attach, port-forward and SPDY upgrades are refused with a Status.
 */
/**
 * kubectl retries a refused WebSocket exec over SPDY at once: that retry gets the WebSocket attempt's
 * own refusal (the rule, the approver's reason) instead of a second verdict or review.
 */
export class RecentRefusals {
  private readonly byRequest = new Map<string, { code: number; message: string; at: number }>();

  remember(key: string, code: number, message: string): void {
    const now = Date.now();
    for (const [k, v] of this.byRequest) if (now - v.at > 30_000) this.byRequest.delete(k);
    this.byRequest.set(key, { code, message, at: now });
  }

  take(key: string): { code: number; message: string } | undefined {
    const found = this.byRequest.get(key);
    this.byRequest.delete(key);
    return found && Date.now() - found.at <= 30_000 ? found : undefined;
  }
}

export async function relayExec(deps: GatewayDeps, sessions: KubeSessions, recent: RecentRefusals, req: IncomingMessage, socket: Duplex, head: Buffer, rest: string): Promise<void> {
  const started = performance.now();
  socket.on("error", () => {});
  if (!(req.socket as TLSSocket).encrypted) return refuseUpgradeWithStatus(socket, 403, "the Kubernetes proxy is served over TLS only: use https:// on the same port");
  const { connectionName, rawPath, rawSearch } = splitTarget(rest, req.url);
  const credential = clientCredential(req.headers);
  if (!credential) return refuseUpgradeWithStatus(socket, 401, "no Gatehouse credential: the kubeconfig's token must be a Gatehouse key or an OIDC access token");
  const opened = await sessions.get(req.socket as Socket, credential, connectionName);
  if (!opened.ok) return refuseUpgradeWithStatus(socket, REFUSAL_STATUS[opened.refusal.reason], opened.refusal.message);
  const s = opened.session;
  // An exec is a `create pods/exec`, whatever the upgrade's method.
  const { text, path, query, facts, command } = readKubeRequest(req.method ?? "GET", rawPath, rawSearch, "create");
  const audit = (outcome: "ok" | "error" | "denied", status: number, message: string | null, rule: string | null, bytesIn = 0, bytesOut = 0) =>
    auditRequest(s, {
      outcome,
      statement: text,
      kind: command.kind,
      startedAt: started,
      message,
      bytesIn,
      bytesOut,
      details: { ...kubeAuditDetails(facts), command: query.command ?? [], status, rule },
    });
  const key = `${s.admission.identity.id} ${rawPath}${rawSearch}`;
  const refuse = (code: number, message: string, rule: string | null) => {
    recent.remember(key, code, message);
    refuseUpgradeWithStatus(socket, code, message);
    audit("denied", code, message, rule);
  };
  if (path === null || !(facts.resource === "pods" && facts.subresource === "exec") || String(req.headers.upgrade ?? "").toLowerCase() !== "websocket") {
    const earlier = recent.take(key);
    const message = earlier?.message ?? "Gatehouse relays pod exec over WebSocket only (not attach, port-forward or SPDY yet)";
    refuseUpgradeWithStatus(socket, earlier?.code ?? 403, message);
    return audit("denied", earlier?.code ?? 403, message, null);
  }
  const policy = deps.policies.current(s.admission.connection.id);
  const verdict: Verdict = policy ? judgeCommands(policy, { name: s.admission.identity.name, groups: s.admission.identity.groups }, [command]) : { action: "allow" };
  const rule = verdict.action === "allow" ? null : verdict.decision.rule;
  if (verdict.action === "deny") return refuse(403, `Gatehouse denied this request: ${verdict.decision.reason}`, rule);
  if (verdict.action === "review") {
    const held = holdForReview(deps, s.scope.ctx, verdict, { statement: `${text}\n(kubectl exec -n ${facts.namespace} ${facts.name} -- ${(query.command ?? []).join(" ")})` });
    socket.once("close", () => held.cancel("the client went away"));
    const outcome = await held.start(() => {});
    if (!outcome.approved) return refuse(403, `Gatehouse did not run this request: ${outcome.message}`, rule);
    if (socket.destroyed) return audit("error", 0, "approved, but the client had gone away", rule);
  }
  const { identity, connection } = s.admission;
  let recorder: Recorder;
  try {
    recorder = await s.scope.record({ width: 80, height: 24, title: `${identity.name} @ ${connection.name} (kubectl exec ${facts.namespace}/${facts.name})`, env: { TERM: "xterm-256color" } });
  } catch {
    const message = "the gateway cannot record this exec session right now; try again shortly";
    refuseUpgradeWithStatus(socket, 503, message);
    return audit("error", 503, message, rule);
  }
  const { settings, credential: cred } = s;
  const url = upstreamUrl(settings, rawPath, rawSearch, cred);
  const headers = upstreamHeaders(req.headers, settings, cred, null, { addr: req.socket.remoteAddress ?? null, tls: true });
  delete headers["content-length"];
  delete headers["sec-websocket-extensions"];
  kubeHeaders(headers, req, settings.impersonate ? identity : null);
  headers.connection = "Upgrade";
  headers.upgrade = "websocket";
  const upReq = https.request(url, {
    method: "GET",
    headers,
    agent: false,
    rejectUnauthorized: settings.tlsVerify,
    ca: settings.caBundle || undefined,
    cert: settings.clientCert || undefined,
    key: settings.clientKey || undefined,
  });
  upReq.setTimeout(settings.timeoutMs, () => upReq.destroy(new Error(`the API server did not answer within ${settings.timeoutMs} ms`)));
  // Ended from outside (kill, revocation, expiry): before the upgrade, cut; after it, see endLive below.
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
    out.upgrade = "websocket";
    const lines = Object.entries(out).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => `${k}: ${x}`) : [`${k}: ${v}`]));
    socket.write(`HTTP/1.1 101 Switching Protocols\r\n${lines.join("\r\n")}\r\n\r\n`);
    s.scope.audit({
      action: "request.start",
      outcome: "ok",
      statement: text,
      statementKind: command.kind,
      message: "exec started",
      details: { ...kubeAuditDetails(facts), command: query.command ?? [], rule },
    });
    const fromClient = new WsFrameReader();
    const fromPod = new WsFrameReader();
    const tap = (reader: WsFrameReader, chunk: Buffer, side: "client" | "pod") => {
      try {
        for (const m of reader.push(chunk)) {
          if ((m.opcode !== 1 && m.opcode !== 2) || m.payload.length === 0) continue;
          const channel = m.payload[0];
          const data = m.payload.subarray(1).toString("utf8");
          if (side === "pod" && (channel === CHANNEL.stdout || channel === CHANNEL.stderr)) recorder.output(data);
          else if (side === "client" && channel === CHANNEL.stdin) recorder.input(data);
          else if (side === "client" && channel === CHANNEL.resize) {
            const size = JSON.parse(data) as { Width?: number; Height?: number };
            if (size.Width && size.Height) recorder.resize(size.Width, size.Height);
          }
        }
      } catch (err) {
        // What cannot be recorded is not relayed.
        deps.log(`kubernetes: exec recording: ${(err as Error).message}`, "warn");
        socket.destroy();
        upSocket.destroy();
      }
    };
    let bytesIn = head.length;
    let bytesOut = upHead.length;
    if (head.length) {
      tap(fromClient, head, "client");
      upSocket.write(head);
    }
    const redactor = new SecretRedactor(cred.forms);
    if (upHead.length) {
      tap(fromPod, upHead, "pod");
      redactor.write(upHead);
    }
    socket.on("data", (d: Buffer) => ((bytesIn += d.length), tap(fromClient, d, "client")));
    socket.pipe(upSocket);
    const scanner = s.masker();
    if (scanner) {
      // The connection's detectors on what the pod prints, as for SSH output: its frames are read,
      // stdout and stderr masked line by line, and sent on as new frames (the recording is masked too).
      const downstream = maskedDownstream(scanner, cred.forms, (b) => {
        if (!socket.write(b)) {
          upSocket.pause();
          socket.once("drain", () => upSocket.resume());
        }
      });
      upSocket.on("data", (d: Buffer) => {
        bytesOut += d.length;
        tap(fromPod, d, "pod");
        try {
          downstream.push(d);
        } catch {
          socket.destroy();
          upSocket.destroy();
        }
      });
      upSocket.once("end", () => downstream.flush());
    } else {
      upSocket.on("data", (d: Buffer) => ((bytesOut += d.length), tap(fromPod, d, "pod")));
      upSocket.pipe(redactor).pipe(socket);
    }
    // The client is told why on the error channel, as a kubelet reports a failed command, when the
    // pod's stream is between frames (else a frame would be cut in two); then both sides close.
    let ending: string | null = null;
    endLive = (reason) => {
      ending = reason;
      upSocket.unpipe(redactor);
      redactor.unpipe(socket);
      if (fromPod.pending === 0 && redactor.readableLength === 0) {
        const status = JSON.stringify({ metadata: {}, status: "Failure", reason: "Forbidden", message: `Gatehouse ended this session: ${reason}` });
        socket.write(serverFrame(0x2, Buffer.concat([Buffer.from([3]), Buffer.from(status)])));
        socket.write(serverFrame(0x8, Buffer.from([0x03, 0xe8])));
      }
      upSocket.destroy();
      socket.end();
      setTimeout(() => socket.destroy(), 2000).unref();
    };
    upSocket.on("error", () => socket.destroy());
    const closeBoth = () => {
      socket.destroy();
      upSocket.destroy();
    };
    socket.once("close", closeBoth);
    // Ending with a reason, the client's side is closed once it has been told (endLive).
    upSocket.once("close", () => ending !== null || closeBoth());
    socket.once("close", () => audit("ok", 101, ending === null ? null : `ended by Gatehouse: ${ending}`, rule, bytesIn, bytesOut));
  });
  upReq.end();
}

/** A WebSocket frame as a server sends it (unmasked, one fragment). */
function serverFrame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x80 | opcode, n]) : n < 65536 ? Buffer.from([0x80 | opcode, 126, n >> 8, n & 255]) : Buffer.alloc(10);
  if (n >= 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, payload]);
}

/**
 * The pod's side of an exec, masked: frames read as they come, each stdout or stderr payload through
 * the detectors (and the credential cut out) line by line, re-sent as frames of the same channel;
 * other frames (the error channel, pings, close) passed on in order after what was held before them.
 */
function maskedDownstream(masker: ValueMasker, forms: readonly string[], send: (b: Buffer) => void): { push: (d: Buffer) => void; flush: () => void } {
  const reader = new WsFrameReader();
  const scan = (text: string) => {
    const masked = masker.scanText(text) ?? text;
    const cut = redactSecret(masked, forms);
    return cut === text ? null : cut;
  };
  const channels = new Map<number, StreamTextMasker>();
  const channel = (c: number) => {
    let m = channels.get(c);
    if (!m) channels.set(c, (m = new StreamTextMasker(scan, (b) => send(serverFrame(0x2, Buffer.concat([Buffer.from([c]), b]))))));
    return m;
  };
  let last = -1;
  const flush = () => {
    for (const m of channels.values()) m.flush();
  };
  return {
    push(d) {
      for (const f of reader.push(d)) {
        const data = f.opcode === 1 || f.opcode === 2;
        const ch = data ? f.payload[0] : f.opcode === 0 ? last : -1;
        if (data) last = ch;
        if (ch === CHANNEL.stdout || ch === CHANNEL.stderr) {
          channel(ch).push(data ? f.payload.subarray(1) : f.payload);
          continue;
        }
        flush();
        send(serverFrame(f.opcode === 0 ? 0x2 : f.opcode, f.opcode === 0 ? Buffer.concat([Buffer.from([last]), f.payload]) : f.payload));
      }
    },
    flush,
  };
}
