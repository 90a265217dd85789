import zlib from "node:zlib";
import { Readable, Transform, type TransformCallback } from "node:stream";
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { ValueMasker } from "../../core/masking/value-masker";
import { maskJsonBytes } from "../../core/masking/json-masker";
import { StreamTextMasker } from "../../core/masking/stream-text-masker";
import { SecretRedactor, redactInPlace } from "./secret-redactor";
import { canDecode, type UpstreamSettings } from "./upstream";
import { JsonLinesMasker } from "./json-lines-masker";
import { JsonStreamMasker } from "./json-stream-masker";
import type { BodySample } from "./body-sample";
import { SseMasker } from "./sse-masker";
import { BudgetCutError, MeteredBody, type ResponseMeter } from "./budget-meter";

export type RelayResult = { status: number; bytesOut: number; note?: string; failed?: boolean };
/** How an adapter answers with an error of its own (a JSON refusal, a Kubernetes Status); returns the bytes sent. */
export type Refuse = (res: ServerResponse, status: number, code: string, message: string) => number;

export type RelayOptions = {
  method: string;
  settings: Pick<UpstreamSettings, "maxBodyBytes" | "oversizeBodies" | "otherBodies">;
  headers: OutgoingHttpHeaders;
  forms: readonly string[];
  masker: ValueMasker | null;
  refuse: Refuse;
  /** The JSON body is a stream of documents, one a line (a Kubernetes watch): each is masked whole as it completes, path rules included. */
  jsonLines?: boolean;
  /** Fed the body as the client is sent it (for the audit event), when set. */
  sample?: BodySample | null;
  /** The session's data budgets, when one binds it: the body's bytes are counted before they go out. */
  meter?: ResponseMeter | null;
};

const JSON_TYPE = /^(?:application\/(?:[\w.+-]+\+)?json|text\/(?:x-)?json)\b/i;
/** JSON documents one a line (NDJSON, JSON Lines), or each after a record separator (JSON text sequences, RFC 7464). */
const JSON_LINES_TYPE = /^application\/(?:x-)?(?:ndjson|jsonl|json-?lines|json-seq)\b/i;
/**
 * Types a JSON body is often served under by mistake (or none at all). A body of such a type with a
 * declared length is not a live stream, so it is read whole (up to the limit) and masked as JSON
 * when it is JSON, path rules included, else by the detectors as before.
 */
const MAYBE_JSON_TYPE = /^(?:$|text\/plain\b|text\/javascript\b|application\/(?:x-)?javascript\b)/i;
const WIDE_CHARSET = /;\s*charset\s*=\s*"?((?:utf-?(?:16|32)|ucs-?2|ucs-?4|utf-?7)(?:-?[lb]e)?)\b/i;
const TEXT_TYPE = /^(?:text\/|application\/(?:(?:[\w.+-]+\+)?xml|(?:x-)?javascript|x-www-form-urlencoded|(?:[\w.+-]+\+|x-)?yaml|graphql|(?:x-)?csv|(?:x-)?toml|sql)\b)/i;

/**
 * Sends an upstream response on to the client, streaming with backpressure: the credential cut out
 * of it always (decoding gzip/deflate/br first when the body is compressed), and, when the session
 * is masked, JSON masked whole (buffered up to the connection's limit; Content-Length fixed; a larger one
 * masked as it streams, or refused, as the connection says), text
 * (SSE included) masked line by line as it streams, other bodies passed or refused as the
 * connection says.
 */
export async function relayResponse(up: IncomingMessage, res: ServerResponse, opts: RelayOptions): Promise<RelayResult> {
  const status = up.statusCode ?? 502;
  const headers = { ...opts.headers };
  const noBody = opts.method === "HEAD" || status === 204 || status === 304 || (status >= 100 && status < 200);
  const encoding = typeof up.headers["content-encoding"] === "string" ? up.headers["content-encoding"].trim().toLowerCase() : undefined;
  if (noBody) {
    up.resume();
    // A HEAD answers with the headers a GET would get: a masked GET's body is decoded and masked, so its length is not the upstream's.
    if (opts.method === "HEAD" && opts.masker !== null && status === 200) {
      delete headers["content-length"];
      if (encoding && canDecode(encoding)) delete headers["content-encoding"];
    }
    res.writeHead(status, headers).end();
    return { status, bytesOut: 0 };
  }
  const inspect = opts.forms.length > 0 || opts.masker !== null;
  if (!inspect) return smallBody(up, contentTypeOf(up)) ? relayWhole(up, res, status, headers, opts, null) : pipe(up, [], res, status, headers, opts);
  // A transfer coding besides chunked (`Transfer-Encoding: gzip, chunked`): Node removes only the chunking, so the body stays compressed, unreadable to the checks below.
  const transfer = String(up.headers["transfer-encoding"] ?? "chunked")
    .toLowerCase()
    .replace(/\s/g, "");
  if (transfer !== "chunked") {
    up.destroy();
    return refuse(opts, res, 502, "upstream_encoding", `the upstream answered with a Transfer-Encoding the gateway cannot read (${up.headers["transfer-encoding"]}), so it cannot check the body`);
  }
  if (!canDecode(encoding)) {
    up.destroy();
    return refuse(opts, res, 502, "upstream_encoding", `the upstream answered with a Content-Encoding the gateway cannot read (${encoding}), so it cannot check the body`);
  }
  const decoder = decoderFor(encoding);
  if (decoder) {
    delete headers["content-encoding"];
    delete headers["content-length"];
  }
  const source: Readable = decoder ? up.pipe(decoder) : up;
  if (decoder) {
    up.once("error", (err) => decoder.destroy(err));
    // A client that goes away stops the upstream's body too (an ended one keeps its pooled socket).
    decoder.once("close", () => up.readableEnded || up.destroy());
  }
  const contentType = contentTypeOf(up);
  if (!opts.masker) {
    if (!decoder && smallBody(up, contentType)) return relayWhole(source, res, status, headers, opts, null);
    return pipe(source, [new SecretRedactor(opts.forms)], res, status, headers, opts);
  }
  // Masking reads bodies as UTF-8 (ASCII-compatible): in UTF-16 or UTF-32 no detector or path would match, so such a body is refused.
  const wide = WIDE_CHARSET.exec(contentType);
  if (wide) {
    source.destroy();
    return refuse(opts, res, 502, "unmaskable_body", `the response is in ${wide[1]}, which masking cannot read (it reads UTF-8 and other ASCII-compatible text)`);
  }
  if ((JSON_TYPE.test(contentType) && opts.jsonLines) || JSON_LINES_TYPE.test(contentType)) {
    delete headers["content-length"];
    return pipe(source, [new SecretRedactor(opts.forms), new JsonLinesMasker(opts.masker, opts.settings.maxBodyBytes)], res, status, headers, opts);
  }
  if (JSON_TYPE.test(contentType)) return relayJson(source, res, status, headers, opts, true);
  if (MAYBE_JSON_TYPE.test(contentType.trim()) && up.headers["content-length"] !== undefined) return relayJson(source, res, status, headers, opts, false);
  if (/^text\/event-stream\b/i.test(contentType)) {
    delete headers["content-length"];
    return pipe(source, [new SecretRedactor(opts.forms), new SseMasker(opts.masker)], res, status, headers, opts);
  }
  if (TEXT_TYPE.test(contentType) || contentType === "") {
    delete headers["content-length"];
    return pipe(source, [new SecretRedactor(opts.forms), textMasker(opts.masker)], res, status, headers, opts);
  }
  if (opts.settings.otherBodies === "refuse") {
    source.destroy();
    return refuse(opts, res, 502, "unmaskable_body", `the response is ${contentType || "of no declared type"}, which masking cannot read, and this connection refuses such bodies`);
  }
  return { ...(await pipe(source, [new SecretRedactor(opts.forms)], res, status, headers, opts)), note: `passed unmasked (${contentType})` };
}

const contentTypeOf = (up: IncomingMessage) => String(up.headers["content-type"] ?? "");

/**
 * A body of declared length up to 64 KiB, not an event stream: most API answers. When only the
 * credential is cut out of it, it is read whole and sent with one write (no stream built for it):
 * nobody waits on such a body piece by piece.
 */
function smallBody(up: IncomingMessage, contentType: string): boolean {
  return Number(up.headers["content-length"]) <= 64 * 1024 && !/^text\/event-stream\b/i.test(contentType);
}

/** A small body read whole (see smallBody), the credential cut out, sent with one write; a body that breaks off before its end is the upstream's failure (502). */
function relayWhole(source: Readable, res: ServerResponse, status: number, headers: OutgoingHttpHeaders, opts: RelayOptions, masker: ValueMasker | null): Promise<RelayResult> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    source.on("data", (c: Buffer) => {
      chunks.push(c);
      size += c.length;
    });
    source.once("end", () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)));
    source.once("error", reject);
    source.once("close", () => source.readableEnded || reject(new Error("Premature close")));
  }).then(
    (body) => sendWhole(body, res, status, headers, opts, masker),
    (err: Error) => refuse(opts, res, 502, "upstream_failed", `the upstream's response broke off: ${err.message}`),
  );
}

/** A body masked whole: JSON by its paths and detectors, anything else by the detectors. `declared`: its type says JSON (a larger one may be refused, as the connection says). */
async function relayJson(source: Readable, res: ServerResponse, status: number, headers: OutgoingHttpHeaders, opts: RelayOptions, declared: boolean): Promise<RelayResult> {
  const limit = opts.settings.maxBodyBytes;
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for (let r = await it.next(); !r.done; r = await it.next()) {
      chunks.push(r.value);
      size += r.value.length;
      if (size > limit) break;
    }
  } catch (err) {
    return refuse(opts, res, 502, "upstream_failed", `the upstream's response broke off: ${(err as Error).message}`);
  }
  // A UTF-16 byte-order mark without a charset saying so: as unreadable as one that does.
  const first = chunks.length > 1 && chunks[0].length < 2 ? Buffer.concat(chunks) : chunks[0];
  if (first?.length >= 2 && ((first[0] === 0xff && first[1] === 0xfe) || (first[0] === 0xfe && first[1] === 0xff))) {
    source.destroy();
    return refuse(opts, res, 502, "unmaskable_body", "the response is in UTF-16 (it starts with its byte-order mark), which masking cannot read (it reads UTF-8 and other ASCII-compatible text)");
  }
  if (size > limit) {
    if (declared && opts.settings.oversizeBodies === "refuse") {
      source.destroy();
      return refuse(opts, res, 502, "response_too_large", `the JSON response is larger than the ${limit} bytes this connection masks whole, and the connection refuses larger ones`);
    }
    delete headers["content-length"];
    const rest = Readable.from(
      (async function* () {
        yield* chunks;
        for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
      })(),
    );
    // Declared JSON is masked as it streams, path rules and all (a single value over the limit ends it); a body of another type by the detectors.
    const masking = declared ? new JsonStreamMasker(opts.masker!, limit) : textMasker(opts.masker!);
    const result = await pipe(rest, [new SecretRedactor(opts.forms), masking], res, status, headers, opts);
    return { ...result, note: declared ? `JSON over ${limit} bytes: masked as it streamed${result.note ? `; ${result.note}` : ""}` : result.note };
  }
  const body = Buffer.concat(chunks, size);
  return sendWhole(body, res, status, headers, opts, opts.masker, declared);
}

/**
 * A whole body sent in one write: the credential cut out, masked as JSON when a masker is given,
 * counted against the budget, Content-Length set. `declaredJson`: its type says JSON, so with path
 * rules a body that does not read as JSON is refused (the rules could not be applied to it).
 */
async function sendWhole(body: Buffer, res: ServerResponse, status: number, headers: OutgoingHttpHeaders, opts: RelayOptions, masker: ValueMasker | null, declaredJson = false): Promise<RelayResult> {
  redactInPlace(
    body,
    opts.forms.map((f) => Buffer.from(f)),
  );
  let unreadable = false;
  const out = masker ? (maskJsonBytes(body, masker, () => (unreadable = true)) ?? body) : body;
  if (unreadable && declaredJson && masker?.masking.paths?.length)
    return refuse(opts, res, 502, "unmaskable_body", "the response says it is JSON but does not read as JSON, so this connection's JSON path rules cannot be applied to it");
  const passed = opts.meter ? await opts.meter.pass(out.length) : true;
  if (!passed) return refuse(opts, res, 429, "budget_exceeded", `Gatehouse: ${opts.meter!.refusal()}; the response was withheld`);
  opts.sample?.add(out);
  headers["content-length"] = out.length;
  res.writeHead(status, headers);
  res.end(out);
  return { status, bytesOut: out.length };
}

function decoderFor(encoding: string | undefined): Transform | null {
  if (encoding === "gzip" || encoding === "x-gzip") return zlib.createGunzip();
  if (encoding === "deflate") return zlib.createInflate();
  if (encoding === "br") return zlib.createBrotliDecompress();
  return null;
}

function textMasker(masker: ValueMasker): Transform {
  let stream: StreamTextMasker;
  const t = new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      stream.push(chunk);
      done();
    },
    flush(done: TransformCallback) {
      stream.flush();
      done();
    },
  });
  stream = new StreamTextMasker(
    (text) => masker.scanText(text),
    (b) => t.push(b),
  );
  return t;
}

function pipe(source: Readable, given: Transform[], res: ServerResponse, status: number, headers: OutgoingHttpHeaders, opts: Pick<RelayOptions, "sample" | "meter">): Promise<RelayResult> {
  const { sample, meter } = opts;
  const transforms = meter ? [...given, new MeteredBody(meter)] : given;
  let bytesOut = 0;
  (transforms.at(-1) ?? source).on(
    "data",
    sample
      ? (c: Buffer) => {
          bytesOut += c.length;
          sample.add(c);
        }
      : (c: Buffer) => (bytesOut += c.length),
  );
  res.writeHead(status, headers);
  // An event stream's headers go now, not with its first event (other bodies send them with their first bytes, in one packet).
  if (String(headers["content-type"] ?? "").startsWith("text/event-stream")) res.flushHeaders();
  return new Promise((resolve) => {
    relay([source, ...transforms], res, (err) =>
      resolve({ status, bytesOut, ...(err ? { failed: true, note: err instanceof BudgetCutError ? `cut off: ${err.message}` : `the response broke off: ${err.message}` } : {}) }),
    );
  });
}

/**
 * `stream.pipeline` for this path, without its per-call cost: pipeline makes an AbortController and,
 * at the end of every response, aborts it with a DOMException (a captured stack), which was about a
 * tenth of the gateway's CPU per small proxied request. Same contract: backpressure through `pipe`,
 * `done` called once, with the first error, or "Premature close" when a stream closes before it
 * finished (the client went away, the upstream was cut), and then every stream destroyed.
 */
function relay(readables: Readable[], res: ServerResponse, done: (err?: Error) => void): void {
  let over = false;
  const finish = (err?: Error) => {
    if (over) return;
    over = true;
    if (err) {
      for (const s of readables) s.destroy();
      res.destroy();
    }
    done(err);
  };
  let last = readables[0];
  for (const t of readables.slice(1)) last = last.pipe(t as Transform);
  last.pipe(res);
  for (const s of readables) {
    s.once("error", finish);
    s.once("close", () => s.readableEnded || finish(new Error("Premature close")));
  }
  res.once("error", finish);
  res.once("finish", () => finish());
  res.once("close", () => res.writableFinished || finish(new Error("Premature close")));
}

function refuse(opts: Pick<RelayOptions, "refuse">, res: ServerResponse, status: number, code: string, message: string): RelayResult {
  const bytesOut = opts.refuse(res, status, code, message);
  return { status, bytesOut, failed: true, note: message };
}
