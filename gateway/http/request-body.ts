import type { IncomingMessage, ServerResponse } from "node:http";
import { foldKey, UNREAD } from "../../core/policy/http-request";

/** A request body read up to a limit: whole, or the part read before the limit with the rest still in the request stream. */
export type ReadBody = { whole: true; body: Buffer } | { whole: false; head: Buffer[] };

/**
 * Requests whose client waits for `100 Continue` before it sends the body (`Expect: 100-continue`),
 * on a route that sends it only when the body is first read (HttpRouter's `continueOnRead`): a
 * request refused before that (a bad key, an ungranted connection, a denied request) never
 * uploads its body, and Node closes the connection after such a refusal.
 */
const awaitingContinue = new WeakMap<IncomingMessage, ServerResponse>();

export function holdContinue(req: IncomingMessage, res: ServerResponse): void {
  awaitingContinue.set(req, res);
}

/** Tells a client waiting for `100 Continue` to send its body (once; nothing for any other request). */
export function letBodyCome(req: IncomingMessage): void {
  const res = awaitingContinue.get(req);
  if (!res) return;
  awaitingContinue.delete(req);
  if (!res.headersSent) res.writeContinue();
}

/** Reads a request body up to `limit` bytes; a declared Content-Length over it is not read at all. */
export async function readBodyUpTo(req: IncomingMessage, limit: number): Promise<ReadBody> {
  letBodyCome(req);
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (declared > limit) return { whole: false, head: [] };
  const chunks: Buffer[] = [];
  let size = 0;
  for (;;) {
    const chunk = await nextChunk(req);
    if (chunk === null) return { whole: true, body: Buffer.concat(chunks, size) };
    chunks.push(chunk);
    size += chunk.length;
    if (size > limit) return { whole: false, head: chunks };
  }
}

/** One chunk of a paused stream, without switching it to flowing mode (the rest can still be piped). */
function nextChunk(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const read = () => {
      const c = req.read() as Buffer | null;
      if (c !== null) return finish(c);
      if (req.readableEnded) return finish(null);
    };
    const onEnd = () => finish(null);
    const onError = (err: Error) => (cleanup(), reject(err));
    const onClose = () => (cleanup(), reject(new Error("the client went away")));
    const cleanup = () => {
      req.off("readable", read);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
    };
    const finish = (c: Buffer | null) => (cleanup(), resolve(c));
    req.on("readable", read);
    req.once("end", onEnd);
    req.once("error", onError);
    req.once("close", onClose);
    read();
  });
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\b/i;

/** Whether a body's type says JSON (`application/json`, `application/merge-patch+json`...). */
export const isJsonBody = (contentType: string | undefined): boolean => JSON_TYPE.test(contentType ?? "");

/** What a rule's body conditions read: the JSON body parsed, undefined for none, UNREAD for one not read whole or not JSON. */
export function bodyFacts(read: ReadBody | null, contentType: string | undefined): unknown {
  if (read === null) return UNREAD;
  if (!read.whole) return UNREAD;
  if (read.body.length === 0) return undefined;
  if (!isJsonBody(contentType)) return UNREAD;
  const text = read.body.toString("utf8");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return UNREAD;
  }
  // JSON.parse keeps a repeated key's last value; some upstream parsers keep the first: which the
  // upstream acts on cannot be told, so such a body is judged as one not read (fail closed).
  return hasRepeatedKey(text) ? UNREAD : parsed;
}

/**
 * Whether an object in this (valid) JSON text names a key twice (compared decoded: `"a"` and
 * `"\u0061"` are one key; and folded, since an upstream may match keys whatever their case:
 * `{"mode":"normal","MODE":"force"}` is force to Go's encoding/json).
 */
export function hasRepeatedKey(text: string): boolean {
  const keys: Array<Set<string> | null> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      const top = keys.at(-1);
      if (expectKey && top) {
        const raw = text.slice(i, end + 1);
        const key = foldKey(raw.includes("\\") ? (JSON.parse(raw) as string) : text.slice(i + 1, end));
        if (top.has(key)) return true;
        top.add(key);
      }
      expectKey = false;
      i = end;
    } else if (c === "{") {
      keys.push(new Set());
      expectKey = true;
    } else if (c === "[") {
      keys.push(null);
    } else if (c === "}" || c === "]") {
      keys.pop();
    } else if (c === ",") {
      expectKey = keys.at(-1) !== null && keys.length > 0;
    }
  }
  return false;
}

const FORM_TYPE = /^application\/x-www-form-urlencoded\b/i;

/** Whether a request's body is an HTML form's (whose `_method` field frameworks read as the method). */
export const isFormBody = (contentType: string | undefined): boolean => FORM_TYPE.test(contentType ?? "");

/** The `_method` fields of a form body read whole (none when it was not). */
export function formMethods(read: ReadBody | null): string[] {
  if (!read?.whole || read.body.length === 0) return [];
  return new URLSearchParams(read.body.toString("latin1")).getAll("_method");
}

/** How a held request's body shows on its review page: the start of it, as text. */
export function bodyPreview(read: ReadBody | null): string {
  if (!read?.whole || read.body.length === 0) return "";
  const text = read.body.subarray(0, 2000).toString("utf8");
  return `\n\n${text}${read.body.length > 2000 ? `\n… (${read.body.length} bytes)` : ""}`;
}
