import http from "node:http";
import https from "node:https";
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { redactSecret } from "../../core/connections/types/http-credential";
import type { ValueMasker } from "../../core/masking/value-masker";
import type { ClientSession } from "./client-sessions";
import { letBodyCome, type ReadBody } from "./request-body";
import { relayResponse, type Refuse, type RelayResult } from "./response-relay";
import { BodySample, type StoredBody } from "./body-sample";
import { UpstreamPool, clientHeaders, upstreamHeaders, upstreamTarget, type UpstreamSettings } from "./upstream";

export type Forwarded = RelayResult & {
  bytesIn: number;
  masked?: Record<string, number> | null;
  /** The bodies as kept for the audit event, when the request asked for them (storeBodyBytes). */
  bodies?: { request: StoredBody | null; response: StoredBody | null };
};

export type ForwardRequest = {
  method: string;
  rawPath: string;
  rawSearch: string;
  body: ReadBody | null;
  /** The gateway's path for the connection (`/proxy/<name>`): redirects to the upstream are rewritten under it. */
  proxyBase: string;
  refuse: Refuse;
  /** A session ended from outside answers a request still waiting for its upstream with this (and closes). */
  ended: (res: ServerResponse, reason: string) => number;
  /** The same for a response already streaming (a watch): how to tell its client before the stream is cut (default: it is cut). */
  endStream?: (res: ServerResponse, reason: string) => void;
  /** The masker for this request (default: the session's). */
  masker?: ValueMasker | null;
  /** Last changes to the upstream request's headers (the adapter's own rules). */
  adjustHeaders?: (headers: OutgoingHttpHeaders) => void;
  jsonLines?: boolean;
  /** Keep up to this many bytes of each body for the audit event (0 or unset: none). */
  storeBodyBytes?: number;
  /**
   * Reads each piece of a body streamed upstream (one larger than the connection buffers): when
   * `scan` says true, the upstream request is aborted before that piece and the client refused (403, `masked_value`).
   */
  inspectUpload?: { scan: (chunk: Buffer) => boolean; refusal: string };
};

/**
 * Sends a request upstream with the connection's credential and relays the answer (the credential
 * cut out, masked as the session says); the adapter's own 502/504 when the upstream is down or slow.
 */
export async function forward(s: ClientSession<UpstreamSettings>, pool: UpstreamPool, req: IncomingMessage, res: ServerResponse, r: ForwardRequest): Promise<Forwarded> {
  // A spent data budget: nothing goes upstream unless an approver extends it.
  if (s.meter) s.meter.request = `${r.method} ${r.rawPath}${r.rawSearch}`;
  const admitted = s.meter ? await s.meter.admit() : true;
  if (!admitted) {
    const message = `Gatehouse: ${s.meter!.refusal()}`;
    return { status: 429, bytesIn: 0, bytesOut: r.refuse(res, 429, "budget_exceeded", message), failed: true, note: message };
  }
  return send(s, pool, req, res, r);
}

function send(s: ClientSession<UpstreamSettings>, pool: UpstreamPool, req: IncomingMessage, res: ServerResponse, r: ForwardRequest): Promise<Forwarded> {
  const { settings, credential } = s;
  const forms = credential.forms;
  const target = upstreamTarget(settings, r.rawPath, r.rawSearch, credential);
  const whole = r.body?.whole ? r.body.body : null;
  const headers = upstreamHeaders(req.headers, settings, credential, whole ? whole.length : null, { addr: req.socket.remoteAddress ?? null, tls: Boolean((req.socket as TLSSocket).encrypted) });
  if (!whole && req.headers["content-length"] === undefined && req.headers["transfer-encoding"] === undefined) delete headers["content-length"];
  // A masked response is read whole: a byte range of it would be a fragment path rules cannot place
  // and a value cut at its edges the detectors cannot see (two ranges would give it back in pieces).
  // The Range is dropped, and the client gets the whole body, masked, as a server may answer (RFC 9110 14.2).
  if ((r.masker !== undefined ? r.masker : s.masker()) !== null) {
    delete headers.range;
    delete headers["if-range"];
  }
  r.adjustHeaders?.(headers);
  const lib = target.protocol === "https:" ? https : http;
  let bytesIn = 0;
  const keep = r.storeBodyBytes ?? 0;
  const sent = keep > 0 ? new BodySample(keep) : null;
  const received = keep > 0 ? new BodySample(keep) : null;
  let receivedType: string | undefined;
  return new Promise<Forwarded>((resolve) => {
    let settled = false;
    const done = (f: Forwarded) => {
      if (settled) return;
      settled = true;
      s.inFlight.delete(flight);
      // Answered before the client finished sending its body (an upstream's early 413, 401 or 200 that does not read
      // it): the rest is read and dropped here, as a server does, so that the upload ends and the connection goes on.
      // Left piped, it stalled on the finished upstream request until the idle timeout reset the client's connection.
      if (!upReq.writableFinished && !req.readableEnded) {
        req.unpipe(upReq);
        upReq.destroy();
        req.resume();
      }
      if (sent && received) {
        const mask = s.scope.textMask();
        f.bodies = { request: sent.stored(headerText(req.headers["content-type"]), mask), response: received.stored(receivedType, mask) };
      }
      resolve(f);
    };
    const fail = (status: number, code: string, message: string) => done({ status, bytesIn, bytesOut: r.refuse(res, status, code, message), failed: true, note: message });
    const upReq = lib.request(Object.assign({ method: r.method, headers, agent: pool.agentFor(s.admission.connection, settings) }, target));
    const flight = {
      end: (reason: string) => {
        // A stream already under way is told first (its last words go out before the upstream is cut, which ends the relay).
        if (res.headersSent) r.endStream?.(res, reason);
        upReq.destroy();
        if (!res.headersSent) done({ status: 403, bytesIn, bytesOut: r.ended(res, reason), failed: true, note: `session ended: ${reason}` });
        else if (!r.endStream) res.destroy();
      },
    };
    s.inFlight.add(flight);
    // Silence from the upstream for this long before it answers (a slow upload keeps the socket busy, so it is not cut).
    upReq.setTimeout(settings.timeoutMs, () => {
      upReq.destroy();
      fail(504, "upstream_timeout", `the upstream did not answer within ${settings.timeoutMs} ms`);
    });
    upReq.once("error", (err) => fail(502, "upstream_unavailable", `the upstream could not be reached: ${redactSecret(err.message, forms)}`));
    res.once("close", () => {
      if (!res.writableFinished) upReq.destroy();
    });
    upReq.once("response", (up) => {
      // Streams (SSE, watches, long downloads) may be quiet for longer: the timeout is for the answer to start.
      upReq.setTimeout(0);
      const masker = r.masker !== undefined ? r.masker : s.masker();
      masker?.takeCounts();
      receivedType = headerText(up.headers["content-type"]);
      const headers = clientHeaders(up.headers, settings, r.proxyBase, forms);
      if (masker) maskHeaderValues(headers, masker);
      const warning = s.meter?.takeWarning();
      if (warning) headers["gatehouse-budget-warning"] = warning;
      relayResponse(up, res, {
        method: r.method,
        settings,
        headers,
        meter: s.meter,
        forms,
        masker,
        refuse: r.refuse,
        jsonLines: r.jsonLines,
        sample: received,
      }).then(
        (relayed) => done(Object.assign(relayed, { bytesIn, masked: masker?.takeCounts() ?? null })),
        (err: Error) => done({ status: up.statusCode ?? 502, bytesIn, bytesOut: 0, failed: true, note: redactSecret(err.message, forms) }),
      );
    });
    if (whole) {
      bytesIn = whole.length;
      sent?.add(whole);
      upReq.end(whole);
      return;
    }
    // No body (a GET, most often): the request goes now, in one write, without piping an empty stream into it.
    if (!r.body && req.headers["transfer-encoding"] === undefined && Number(req.headers["content-length"] ?? 0) === 0) {
      upReq.end();
      return;
    }
    // A piece the inspection refuses never reaches the upstream: the request is aborted first (these listeners run before the pipe's).
    const refused = (c: Buffer) => {
      // Once answered (an upstream that did not wait for the whole upload), the rest is only drained.
      if (settled || !r.inspectUpload?.scan(c)) return false;
      upReq.destroy();
      const message = r.inspectUpload.refusal;
      done({ status: 403, bytesIn, bytesOut: r.refuse(res, 403, "masked_value", message), failed: true, note: message });
      return true;
    };
    letBodyCome(req);
    for (const chunk of r.body && !r.body.whole ? r.body.head : []) {
      if (refused(chunk)) return;
      bytesIn += chunk.length;
      sent?.add(chunk);
      upReq.write(chunk);
    }
    req.on("data", (c: Buffer) => {
      if (refused(c)) return;
      bytesIn += c.length;
      sent?.add(c);
    });
    req.pipe(upReq);
  });
}

const headerText = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/**
 * Response header values through the detectors, as the body goes through them: a Location, a
 * Content-Disposition file name or an X-Customer-Email can carry what the body's masking hides.
 */
function maskHeaderValues(headers: OutgoingHttpHeaders, masker: ValueMasker): void {
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === "string") headers[name] = masker.scanText(value) ?? value;
    else if (Array.isArray(value)) headers[name] = value.map((v) => masker.scanText(v) ?? v);
  }
}
