import type http from "node:http";
import type { GatewayDeps } from "../../gateway-deps";

/** Largest JSON-RPC request body accepted (a `query` argument is at most 1 MB of SQL). */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;
/** Most messages in one JSON-RPC batch. */
export const MAX_BATCH = 16;
export const METADATA_PATH = "/.well-known/oauth-protected-resource";

/**
 * Whether a browser page of this origin may drive the MCP endpoints (MCP's guard against DNS
 * rebinding): the console's own origin, or a page on this machine (a loopback host). Comparing the
 * Origin with the Host header is no guard: a rebound name sends the attacker's name in both.
 */
export function allowedOrigin(origin: string, deps: GatewayDeps): boolean {
  try {
    const o = new URL(origin);
    return o.origin === new URL(deps.config.consoleUrl).origin || LOOPBACK.has(o.hostname.toLowerCase());
  } catch {
    return false;
  }
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

export function readBody(req: http.IncomingMessage): Promise<Buffer | "too-large"> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (d: Buffer) => {
      size += d.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners("data");
        req.resume();
        return resolve("too-large");
      }
      chunks.push(d);
    });
    req.once("end", () => resolve(Buffer.concat(chunks)));
    req.once("error", reject);
  });
}

/** Where clients reach this gateway, as they addressed it (https when a TLS proxy in front says so). */
export function publicBase(req: http.IncomingMessage): string {
  const proto = req.headers["x-forwarded-proto"] === "https" ? "https" : "http";
  const host = /^[A-Za-z0-9.:[\]-]+$/.test(req.headers.host ?? "") ? req.headers.host : "localhost";
  return `${proto}://${host}`;
}

export function jsonRpcError(res: http.ServerResponse, status: number, code: number, message: string, id: string | number | null = null): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id }));
}

/**
 * The JSON-RPC message (or batch) of a POST, or null when the request was answered with the error
 * (too large, not JSON, an empty or oversized batch). Adds the body's size to `counted.bytesIn`.
 */
export async function readJsonRpc(req: http.IncomingMessage, res: http.ServerResponse, counted: { bytesIn: number }): Promise<{ parsed: unknown } | null> {
  const body = await readBody(req);
  if (body === "too-large") return (jsonRpcError(res, 413, -32600, `the request is larger than ${MAX_BODY_BYTES} bytes`), null);
  counted.bytesIn += body.length;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return (jsonRpcError(res, 400, -32700, "parse error: the body is not JSON"), null);
  }
  if (Array.isArray(parsed) && (parsed.length === 0 || parsed.length > MAX_BATCH)) return (jsonRpcError(res, 400, -32600, `a batch holds 1 to ${MAX_BATCH} messages`), null);
  return { parsed };
}
