import { Agent, request } from "undici";
import { MAX_OUTPUT_BYTES } from "./ssh-exec";

/** Where the gateway's own HTTP port answers (read at call time: it listens after the adapters start). */
export type HttpEndpoint = () => { host: string; port: number; tls: boolean };

/** What `http_request` returns: the upstream's answer as the gateway's proxy relayed it (masked), the body cut like query results. */
export type HttpCallResult = { status: number; headers: Record<string, string>; body: string; truncated: boolean; note?: string };

/** The proxy answered 202: a rule holds the request; the same call made again after approval runs it, once. */
export type HttpHeld = { reviewId: string; link: string; message: string };

/** Headers an agent may not set: the gateway's own credential and the hop's (the proxy strips the rest it must). */
const FORBIDDEN = new Set(["authorization", "proxy-authorization", "host", "prefer", "content-length", "transfer-encoding", "connection", "upgrade", "cookie"]);
/** Response headers worth an agent's reading. */
const SHOWN = ["content-type", "location", "etag", "last-modified", "retry-after", "x-request-id", "www-authenticate"];

// The gateway's own listener on the loopback: its certificate is the gateway's (often self-signed).
const loopback = new Agent({ connect: { rejectUnauthorized: false }, keepAliveTimeout: 5_000 });

/**
 * One request through the gateway's own HTTP proxy, as the agent (its credential as the bearer, and
 * `Prefer: respond-async` so a held request is answered at once with 202): the proxy admits, judges,
 * holds, injects the connection's credential, masks and audits it; this reads back what it sends.
 */
export async function runHttpRequest(
  endpoint: HttpEndpoint,
  who: { credential: string; connection: string },
  call: { method: string; path: string; headers?: Record<string, string>; body?: string },
  /** `/proxy/` (HTTP APIs) or `/k8s/` (the Kubernetes API, served over TLS only). */
  route: "proxy" | "k8s" = "proxy",
): Promise<{ held: HttpHeld } | { refused: { status: number; message: string } } | { done: HttpCallResult }> {
  const at = endpoint();
  const { host, port } = at;
  const tls = route === "k8s" || at.tls;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(call.headers ?? {})) if (!FORBIDDEN.has(k.toLowerCase())) headers[k] = v;
  headers.authorization = `Bearer ${who.credential}`;
  headers.prefer = "respond-async";
  const url = `${tls ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${port}/${route}/${encodeURIComponent(who.connection)}${call.path}`;
  const res = await request(url, { method: call.method as "GET", headers, body: call.body, dispatcher: loopback, headersTimeout: 120_000, bodyTimeout: 120_000 });
  const { text, truncated, size } = await readCapped(res.body);
  const fromGateway = res.headers["x-gatehouse"] !== undefined;
  // The gateway's own answers: the proxy's JSON ({ error, message, review, link }) or a Kubernetes Status ({ message, details }).
  const own = fromGateway ? (parseJson(text) as { message?: string; review?: string; link?: string; details?: { reviewId?: string; link?: string } } | null) : null;
  if (own && res.statusCode === 202) {
    const reviewId = own.review ?? own.details?.reviewId;
    const link = own.link ?? own.details?.link;
    if (reviewId && link) return { held: { reviewId, link, message: own.message ?? "" } };
  }
  // Its refusals become tool errors; the upstream's own errors pass as results.
  if (own?.message && (res.statusCode === 400 || res.statusCode === 401 || res.statusCode === 403 || res.statusCode === 413)) return { refused: { status: res.statusCode, message: own.message } };
  const shown: Record<string, string> = {};
  for (const h of SHOWN) {
    const v = res.headers[h];
    if (v !== undefined) shown[h] = Array.isArray(v) ? v.join(", ") : v;
  }
  return { done: { status: res.statusCode, headers: shown, body: text, truncated, ...(truncated ? { note: `the body was cut at ${MAX_OUTPUT_BYTES} bytes of ${size}` } : {}) } };
}

async function readCapped(body: AsyncIterable<Buffer>): Promise<{ text: string; truncated: boolean; size: number }> {
  const kept: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size < MAX_OUTPUT_BYTES) kept.push(chunk.subarray(0, MAX_OUTPUT_BYTES - size));
    size += chunk.length;
  }
  return { text: Buffer.concat(kept).toString("utf8"), truncated: size > MAX_OUTPUT_BYTES, size };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
