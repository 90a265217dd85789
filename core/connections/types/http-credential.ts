import type { HttpSettings } from "./http";

/** What the gateway adds to a request to an HTTP connection's upstream, and every form of the secret it sends (to cut out of responses). */
export type InjectedCredential = {
  /** Headers to set (lower-case names), replacing any the client sent under the same name. */
  headers: Record<string, string>;
  /** A query parameter to set, replacing any the client sent under the same name. */
  query: [string, string] | null;
  /** The secret as it travels (raw, in its header value, base64 of basic auth, URL-encoded, JSON-escaped): none may reach the client. */
  forms: string[];
};

/** The credential of a connection as the upstream receives it (pure; run on the server and in the gateway). */
export function injectedCredential(s: Pick<HttpSettings, "auth" | "authName" | "authUser">, secret: string | undefined): InjectedCredential {
  if (s.auth === "none" || !secret) return { headers: {}, query: null, forms: [] };
  const forms = new Set<string>([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
  const headers: Record<string, string> = {};
  let query: [string, string] | null = null;
  if (s.auth === "bearer") headers.authorization = `Bearer ${secret}`;
  else if (s.auth === "header") headers[s.authName!.toLowerCase()] = secret;
  else if (s.auth === "query") {
    query = [s.authName!, secret];
    forms.add(new URLSearchParams({ v: secret }).toString().slice(2));
  } else {
    const basic = Buffer.from(`${s.authUser ?? ""}:${secret}`, "utf8").toString("base64");
    headers.authorization = `Basic ${basic}`;
    forms.add(basic);
  }
  // Shorter forms are inside longer ones: redact the longest first.
  return { headers, query, forms: [...forms].filter((f) => f.length >= 4).sort((a, b) => b.length - a.length) };
}

/** Every form of the secret in `text` replaced (error messages, headers the upstream echoes). */
export function redactSecret(text: string, forms: readonly string[]): string {
  let out = text;
  for (const f of forms) if (out.includes(f)) out = out.split(f).join("[REDACTED:credential]");
  return out;
}

export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
/** Headers the gateway owns: a connection cannot set them (extra headers) or inject into them (header auth). */
export const RESERVED_HEADERS = new Set(["host", "connection", "content-length", "transfer-encoding", "te", "trailer", "upgrade", "keep-alive", "proxy-authorization", "cookie"]);

/** `Name: value` lines, one header a line (values are not secret: they are stored and shown in the clear). */
export function parseExtraHeaders(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon).trim() : "";
    const value = line.slice(colon + 1).trim();
    if (!HEADER_NAME.test(name)) throw new Error(`"${line.slice(0, 60)}" is not a header line (Name: value)`);
    if (RESERVED_HEADERS.has(name.toLowerCase())) throw new Error(`the gateway sets ${name} itself`);
    // eslint-disable-next-line no-control-regex -- control characters in a header value would split the request
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) throw new Error(`the value of ${name} has control characters`);
    out.push([name, value]);
  }
  return out;
}
