import type { ServerResponse } from "node:http";

/**
 * A refusal as a small JSON document a program can read: `{ "error": code, "message": sentence }`
 * (plus `rule`, `review`... when they apply). Every body the gateway itself writes goes through here.
 */
export type RefusalBody = { error: string; message: string; hint?: string; rule?: string | null; review?: string; status?: string; link?: string };

export function sendRefusal(res: ServerResponse, status: number, body: RefusalBody, headers: Record<string, string | string[]> = {}): number {
  const payload = Buffer.from(JSON.stringify(body));
  if (res.headersSent) {
    res.destroy();
    return 0;
  }
  // X-Gatehouse names the gateway's own answer, so a program tells it from the upstream's (which never carries it).
  res.writeHead(status, { ...headers, "content-type": "application/json; charset=utf-8", "content-length": payload.length, "cache-control": "no-store", "x-gatehouse": body.error });
  res.end(payload);
  return payload.length;
}
