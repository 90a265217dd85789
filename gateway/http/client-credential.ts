import type { IncomingHttpHeaders } from "node:http";

/**
 * The Gatehouse credential a client presents on a proxied request, in the order tools send it:
 * `Proxy-Authorization` (meant for the gateway, so it wins), then `Authorization: Bearer <key or
 * token>`, then basic auth with the key as the password (URLs like `https://agent:<key>@gw/...`).
 * Null when there is none; the caller answers 401 with a challenge.
 */
export function clientCredential(headers: IncomingHttpHeaders): string | null {
  for (const value of [headers["proxy-authorization"], headers.authorization]) {
    if (typeof value !== "string") continue;
    const space = value.indexOf(" ");
    if (space < 0) continue;
    const scheme = value.slice(0, space).toLowerCase();
    const rest = value.slice(space + 1).trim();
    if (scheme === "bearer" && rest) return rest;
    if (scheme === "basic" && rest) {
      const decoded = Buffer.from(rest, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      const password = colon >= 0 ? decoded.slice(colon + 1) : "";
      if (password) return password;
    }
  }
  return null;
}

/** The challenge of a 401: bearer for API clients, basic so that tools that only take a URL with credentials retry with them. */
export const WWW_AUTHENTICATE = ['Bearer realm="gatehouse"', 'Basic realm="gatehouse", charset="UTF-8"'];
