import type { IncomingHttpHeaders } from "node:http";
import zlib from "node:zlib";
import { looksMasked, MaskedShapeScan } from "../../core/masking/masked-shape";
import { isFormBody, isJsonBody } from "./request-body";

/**
 * Requests that would write back what masking showed. An agent reads a resource through a masked
 * connection (`"email": "[REDACTED:email]"`, a token, `**-**71-QQ`), changes one field and sends the
 * whole document back with PUT or PATCH: the upstream would store the stand-ins in place of the real
 * values, as an UPDATE of a masked value would on a database. Such a request is refused before it is
 * sent. What is read: every string value of a JSON body (a partial mask is told as a whole value),
 * every field of a form, and any other body as text (markers, tokens and runs of stars only); for a
 * method that may write, the query's values too. A compressed body is read decoded, up to the
 * connection's buffer limit. A body of a binary type (an image, an archive, a PDF) is not read:
 * masking never shows one (it passes responses of such types as they are), and four `*` bytes in a
 * file are no sign of a masked value.
 */

const BINARY_TYPE = /^(?:image|audio|video|font)\/|^application\/(?:octet-stream|zip|gzip|x-gzip|x-tar|x-7z-compressed|pdf|wasm|vnd\.)/i;

/** Whether a request body's type says it is binary (see above); a JSON type (`application/vnd.api+json`) is not. */
export const binaryBody = (headers: IncomingHttpHeaders): boolean => {
  const type = String(headers["content-type"] ?? "");
  return BINARY_TYPE.test(type) && !isJsonBody(type);
};
const READ_ONLY = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Where a whole request body carries a masked value back (`$.customer.email`, `form field email`,
 * `the body`); null when it carries none. `standIns`: exact values an adapter's own masking writes
 * besides the shared ones (a Secret's data masked as base64 of `[REDACTED]`).
 */
export function maskedValueInBody(body: Buffer, headers: IncomingHttpHeaders, limit: number, standIns: string[] = []): string | null {
  if (binaryBody(headers)) return null;
  const decoded = decodedBody(body, headers["content-encoding"], limit);
  if (decoded === null) return null;
  const contentType = headers["content-type"];
  const text = decoded.toString("utf8");
  if (isFormBody(contentType)) {
    for (const [name, value] of new URLSearchParams(text)) if (looksMasked(value)) return `form field ${name}`;
    return null;
  }
  if (isJsonBody(contentType) || /^\s*[[{"]/.test(text)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (parsed !== undefined) return maskedInJson(parsed, "$", standIns);
  }
  const scan = new MaskedShapeScan();
  scan.push(text);
  return scan.holds || standIns.some((v) => text.includes(v)) ? "the body" : null;
}

/** A query parameter of a request that may write (not GET, HEAD or OPTIONS) that carries a masked value; null when none does. */
export function maskedValueInQuery(method: string, query: Record<string, string[]>): string | null {
  if (READ_ONLY.has(method)) return null;
  for (const [name, values] of Object.entries(query)) if (values.some(looksMasked)) return `query parameter ${name}`;
  return null;
}

/** For a body streamed past the buffer limit: whether the pieces so far carry a marker, a token or a run of stars. */
export function maskedUploadScan(): (chunk: Buffer) => boolean {
  const scan = new MaskedShapeScan();
  return (chunk) => {
    scan.push(chunk.toString("latin1"));
    return scan.holds;
  };
}

/**
 * The refusal's words, the same on every HTTP-borne protocol (the proxy, the Kubernetes API, an
 * upstream MCP server's tool call): `subject` is what was refused, `item` what to leave out.
 */
export const sendsBackMasked = (where: string, subject: "request" | "call" = "request", item: "field" | "argument" = "field"): string =>
  `Gatehouse refused this ${subject}: it sends back a value masking showed in place of the real one (${where}), which would replace the real value upstream; send the real value, or leave the ${item} out`;

/** Where a JSON value (`at`: its own path, `$`) holds a masked stand-in (`$.customer.email`); null when it holds none. */
export function maskedInJson(v: unknown, at: string, standIns: string[] = []): string | null {
  if (typeof v === "string") return looksMasked(v) || standIns.includes(v) ? at : null;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const found = maskedInJson(v[i], `${at}[${i}]`, standIns);
      if (found) return found;
    }
    return null;
  }
  if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      const found = maskedInJson(x, /^[A-Za-z_$][\w$]*$/.test(k) ? `${at}.${k}` : `${at}[${JSON.stringify(k)}]`, standIns);
      if (found) return found;
    }
  }
  return null;
}

/** The body as sent, decoded when it says it is compressed; null when it cannot be (an unknown coding, broken, or larger than `limit` decoded). */
function decodedBody(body: Buffer, encoding: string | string[] | undefined, limit: number): Buffer | null {
  const coding = String(encoding ?? "identity")
    .trim()
    .toLowerCase();
  const options = { maxOutputLength: Math.max(limit, 1) };
  try {
    if (coding === "identity" || coding === "") return body;
    if (coding === "gzip" || coding === "x-gzip") return zlib.gunzipSync(body, options);
    if (coding === "deflate") return zlib.inflateSync(body, options);
    if (coding === "br") return zlib.brotliDecompressSync(body, options);
  } catch {
    return null;
  }
  return null;
}
