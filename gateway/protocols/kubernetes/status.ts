import type { ServerResponse } from "node:http";
import type { Duplex } from "node:stream";

const REASONS: Record<number, string> = {
  202: "Accepted",
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  413: "RequestEntityTooLarge",
  500: "InternalError",
  502: "ServiceUnavailable",
  503: "ServiceUnavailable",
  504: "Timeout",
};
const TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  413: "Payload Too Large",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** A Kubernetes `Status` object (kind Status, apiVersion v1): what kubectl prints as `Error from server (<reason>): <message>`. */
export function statusObject(code: number, message: string, details?: Record<string, unknown>): Record<string, unknown> {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: code < 400 ? "Success" : "Failure", message, reason: REASONS[code] ?? "InternalError", ...(details ? { details } : {}), code };
}

/**
 * Discovery requests (`/api`, `/api/v1`, `/apis`, `/apis/<group>[/<version>]`, `/version`, `/openapi/...`).
 * client-go's discovery takes an error's body as text only (it reads the raw body, so a JSON Status
 * comes out as "unknown"), and kubectl discovers before anything else: the gateway's refusals there
 * go as text, which kubectl prints (`Error from server (Forbidden): connection "x" does not exist...`).
 */
const DISCOVERY = /^\/k8s\/[^/?]+\/(?:api(?:\/[^/?]+)?|apis(?:\/[^/?]+){0,2}|version|openapi(?:\/[^?]*)?)\/?(?:\?|$)/;

/** Every answer the gateway itself gives a Kubernetes client is a Status (as text on a discovery path: see DISCOVERY); returns the bytes sent. */
export function sendStatus(res: ServerResponse, code: number, message: string, opts: { details?: Record<string, unknown>; headers?: Record<string, string | string[]> } = {}): number {
  if (res.headersSent) {
    res.destroy();
    return 0;
  }
  // 401 stays a Status: client-go answers it with its own "You must be logged in to the server".
  const asText = code >= 400 && code !== 401 && DISCOVERY.test(res.req?.url ?? "");
  const payload = Buffer.from(asText ? message : JSON.stringify(statusObject(code, message, opts.details)));
  // X-Gatehouse tells the gateway's own Status from the API server's (whose X-Gatehouse is dropped).
  res.writeHead(code, {
    ...opts.headers,
    "content-type": asText ? "text/plain; charset=utf-8" : "application/json",
    "content-length": payload.length,
    "cache-control": "no-store",
    "x-gatehouse": REASONS[code] ?? "InternalError",
  });
  res.end(payload);
  return payload.length;
}

/** A refusal of an upgrade request (exec, attach, port-forward): the Status as a plain HTTP response, then close. */
export function refuseUpgradeWithStatus(socket: Duplex, code: number, message: string): void {
  const payload = JSON.stringify(statusObject(code, message));
  socket.end(`HTTP/1.1 ${code} ${TEXT[code] ?? "Error"}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(payload)}\r\nconnection: close\r\n\r\n${payload}`);
}

/**
 * A watch the gateway must end (the session was ended from outside): an ERROR event with the
 * Status, as an API server ends a watch it cannot go on with; the relay is cut right after.
 */
export function endWatch(res: ServerResponse, code: number, message: string): void {
  if (!res.writableEnded) res.write(`${JSON.stringify({ type: "ERROR", object: statusObject(code, message) })}\n`);
}
