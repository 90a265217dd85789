import http from "node:http";
import https from "node:https";
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import { parseExtraHeaders, redactSecret, type InjectedCredential } from "../../core/connections/types/http-credential";
import type { Dial } from "../connector/dial";
import { dialAgent } from "../connector/http-dial";

// Hop-by-hop headers (RFC 9110 7.6.1) and what only the gateway may set.
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "proxy-authenticate", "proxy-authorization"]);
// X-Original-URL and X-Rewrite-URL: some frameworks and IIS route by them instead of the request line, so a
// path the guardrails judged could be swapped for another behind the gateway: never forwarded.
const CLIENT_ONLY = new Set(["authorization", "cookie", "host", "expect", "content-length", "accept-encoding", "x-original-url", "x-rewrite-url"]);
// Where a request came from, as only the proxy in front of the upstream can say it: an agent's own
// `X-Real-IP: 10.0.0.1` would pass for the gateway's word with an upstream that trusts its proxy.
// Never forwarded; X-Real-IP is set to the client's address, X-Forwarded-For gets it appended.
const PROXY_ONLY = new Set([
  "x-real-ip",
  "forwarded",
  "true-client-ip",
  "x-client-ip",
  "x-cluster-client-ip",
  "cf-connecting-ip",
  "fastly-client-ip",
  "x-forwarded-host",
  "x-forwarded-port",
  "x-forwarded-server",
  "x-forwarded-proto",
]);
const DECODABLE = new Set(["gzip", "x-gzip", "deflate", "br", "identity"]);

/**
 * What the proxying pieces read of a connection (an HTTP API's settings, or a Kubernetes connection's
 * seen this way): where the upstream is, its TLS, its limits, and how masking treats bodies it cannot read whole.
 */
export type UpstreamSettings = {
  baseUrl: string;
  tlsVerify: boolean;
  caBundle?: string;
  /** A client certificate and its key (PEM) the gateway presents to the upstream. */
  clientCert?: string;
  clientKey?: string;
  extraHeaders?: string;
  timeoutMs: number;
  maxBodyBytes: number;
  oversizeBodies: "refuse" | "stream";
  otherBodies: "pass" | "refuse";
};

/**
 * Keep-alive agents, one per connection (and its TLS settings and connector), so requests to one
 * upstream reuse its sockets. A connection routed through a connector gets an agent whose sockets
 * are the connector's streams (`via` names the connector; `dial` opens them).
 */
export class UpstreamPool {
  private readonly agents = new Map<string, { fingerprint: string; agent: http.Agent }>();

  constructor(private readonly dialerFor: (c: { name: string; connector?: string }) => Dial) {}

  /** The fingerprint of each settings object seen (a session's settings never change: no string built per request). */
  private readonly fingerprints = new WeakMap<UpstreamSettings, string>();

  agentFor(connection: { id: string; name: string; connector?: string }, s: UpstreamSettings): http.Agent {
    const connectionId = connection.id;
    let fingerprint = this.fingerprints.get(s);
    if (fingerprint === undefined) {
      fingerprint = JSON.stringify([s.baseUrl, s.tlsVerify, s.caBundle ?? "", s.clientCert ?? "", s.clientKey ?? "", connection.connector ?? ""]);
      this.fingerprints.set(s, fingerprint);
    }
    const found = this.agents.get(connectionId);
    if (found?.fingerprint === fingerprint) return found.agent;
    found?.agent.destroy();
    const https_ = new URL(s.baseUrl).protocol === "https:";
    const options = { keepAlive: true, maxSockets: 256, maxFreeSockets: 32, scheduling: "lifo" as const };
    const tlsOptions = https_ ? { rejectUnauthorized: s.tlsVerify, ca: s.caBundle || undefined, cert: s.clientCert || undefined, key: s.clientKey || undefined } : {};
    const agent = connection.connector
      ? dialAgent(this.dialerFor(connection), https_, { ...options, ...tlsOptions })
      : https_
        ? new https.Agent({ ...options, ...tlsOptions })
        : new http.Agent(options);
    this.agents.set(connectionId, { fingerprint, agent });
    return agent;
  }

  close(): void {
    for (const { agent } of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}

/** `<base URL><path>?<query>` with the credential's query parameter set (any the client sent under that name replaced). */
export function upstreamUrl(s: Pick<UpstreamSettings, "baseUrl">, rawPath: string, rawSearch: string, cred: InjectedCredential): URL {
  const base = new URL(s.baseUrl);
  const url = new URL(base.origin);
  url.pathname = base.pathname.replace(/\/+$/, "") + rawPath;
  url.search = rawSearch;
  if (cred.query) url.searchParams.set(cred.query[0], cred.query[1]);
  return url;
}

export type UpstreamTarget = { protocol: string; hostname: string; port: string; path: string; auth?: string };

/** Each base URL's origin and path (its `path`: the base's own, without a trailing slash). */
const bases = new Map<string, UpstreamTarget>();
// Characters the URL parser leaves as they are in a path and in a query: anything else takes the parser's way.
const PLAIN_PATH = /^[A-Za-z0-9\-_~.!$&()*+,;=:@/]*$/;
const PLAIN_SEARCH = /^(?:\?[A-Za-z0-9\-_~.!$&()*+,;=:@/?%]+)?$/;

/**
 * The upstream request's origin and path, as http.request takes them: what upstreamUrl() gives,
 * without building a URL for the common request (a plain path and query, no credential in the
 * query), which took a tenth of the gateway's CPU per small request.
 */
export function upstreamTarget(s: Pick<UpstreamSettings, "baseUrl">, rawPath: string, rawSearch: string, cred: InjectedCredential): UpstreamTarget {
  let base = bases.get(s.baseUrl);
  if (!base) {
    const u = new URL(s.baseUrl);
    const hostname = u.hostname.startsWith("[") ? u.hostname.slice(1, -1) : u.hostname;
    // User information in the URL is sent as basic auth, as http.request does with a URL.
    const auth = u.username || u.password ? { auth: `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}` } : {};
    base = { protocol: u.protocol, hostname, port: u.port || (u.protocol === "https:" ? "443" : "80"), path: u.pathname.replace(/\/+$/, ""), ...auth };
    if (bases.size > 1000) bases.clear();
    bases.set(s.baseUrl, base);
  }
  const plain = !cred.query && PLAIN_PATH.test(rawPath) && PLAIN_SEARCH.test(rawSearch) && !/(?:^|\/)\.\.?(?:\/|$)/.test(rawPath);
  const path = plain && rawPath.startsWith("/") ? base.path + rawPath + rawSearch : slowPath(s, rawPath, rawSearch, cred);
  return Object.assign({}, base, { path });
}

function slowPath(s: Pick<UpstreamSettings, "baseUrl">, rawPath: string, rawSearch: string, cred: InjectedCredential): string {
  const u = upstreamUrl(s, rawPath, rawSearch, cred);
  return u.pathname + u.search;
}

/**
 * The headers the upstream gets: the client's, minus hop-by-hop headers, the client's Gatehouse
 * credential and any Authorization or Cookie it sent, plus the connection's extra headers and the
 * injected credential. Compression is limited to what the gateway can decode (it reads bodies).
 */
export function upstreamHeaders(
  client: IncomingHttpHeaders,
  s: Pick<UpstreamSettings, "extraHeaders">,
  cred: InjectedCredential,
  bodyLength: number | null,
  from?: { addr: string | null; tls: boolean },
): OutgoingHttpHeaders {
  const hop = hopByHop(client);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(client)) {
    if (value === undefined || hop(name) || CLIENT_ONLY.has(name) || PROXY_ONLY.has(name) || name in cred.headers) continue;
    out[name] = value;
  }
  const accepted = headerTokens(client["accept-encoding"])
    .map((t) => t.split(";")[0].toLowerCase())
    .filter((t) => DECODABLE.has(t));
  if (accepted.length) out["accept-encoding"] = accepted.join(", ");
  for (const [name, value] of parseExtraHeaders(s.extraHeaders ?? "")) out[name.toLowerCase()] = value;
  Object.assign(out, cred.headers);
  // As any reverse proxy: the client's address appended to the chain, and how it reached the gateway.
  if (from?.addr) {
    out["x-forwarded-for"] = client["x-forwarded-for"] ? `${client["x-forwarded-for"]}, ${from.addr}` : from.addr;
    out["x-real-ip"] = from.addr;
  }
  if (from) out["x-forwarded-proto"] = from.tls ? "https" : "http";
  if (bodyLength !== null) out["content-length"] = String(bodyLength);
  else if (client["content-length"] !== undefined) out["content-length"] = client["content-length"];
  else if (client["transfer-encoding"] !== undefined) out["transfer-encoding"] = "chunked";
  return out;
}

/**
 * The headers the client gets back: hop-by-hop ones dropped, every form of the credential cut out
 * of every value, and a redirect to the upstream itself pointed back at the gateway's path for the
 * connection (the gateway never follows redirects: the client does, without the credential).
 */
export function clientHeaders(upstream: IncomingHttpHeaders, s: Pick<UpstreamSettings, "baseUrl">, proxyBase: string, forms: readonly string[]): OutgoingHttpHeaders {
  const hop = hopByHop(upstream);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(upstream)) {
    // X-Gatehouse marks the gateway's own answers (refusal.ts): an upstream may not pass for the gateway.
    if (value === undefined || hop(name) || name === "x-gatehouse") continue;
    out[name] = Array.isArray(value) ? value.map((v) => redactSecret(v, forms)) : redactSecret(String(value), forms);
  }
  if (typeof upstream.location === "string") out.location = redactSecret(rewriteLocation(upstream.location, s, proxyBase), forms);
  return out;
}

function rewriteLocation(location: string, s: Pick<UpstreamSettings, "baseUrl">, proxyBase: string): string {
  const base = new URL(s.baseUrl);
  let target: URL;
  try {
    target = new URL(location, base);
  } catch {
    return location;
  }
  const basePath = base.pathname.replace(/\/+$/, "");
  if (target.origin !== base.origin || !(target.pathname === basePath || target.pathname.startsWith(`${basePath}/`))) return location;
  return `${proxyBase}${target.pathname.slice(basePath.length) || "/"}${target.search}${target.hash}`;
}

/** Whether the gateway can decode a Content-Encoding (else a body it must read is refused). */
export const canDecode = (encoding: string | undefined): boolean => encoding === undefined || DECODABLE.has(encoding.trim().toLowerCase());

/** The comma-separated tokens of a header value, trimmed. */
export const headerTokens = (value: unknown): string[] =>
  String(value ?? "")
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);

/** Whether a header of this message is hop-by-hop: a standard one, or one its Connection header names. */
function hopByHop(h: IncomingHttpHeaders): (name: string) => boolean {
  const named = new Set(headerTokens(h.connection).map((t) => t.toLowerCase()));
  return (name) => HOP_BY_HOP.has(name) || named.has(name);
}
