import { wildcardPattern, type WildcardPattern } from "./wildcard";
import { plainCommand, type Command } from "./command";

/** What a rule can read of an HTTP request besides its kind (method and path). */
export type HttpRequestFacts = {
  method: string;
  /** Decoded and normalised as judged: no dot segments, no empty segments, no trailing slash. */
  path: string;
  query: Record<string, string[]>;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** The JSON body, parsed; `undefined` when the request has none; UNREAD when it was not read (too large, or not JSON). */
  body: unknown;
  /** A form body's `_method` fields (a POSTed HTML form's method override), when the body was read. */
  formMethods?: string[];
};

/** A body the gateway did not read (larger than it buffers, or not JSON): body conditions fail closed on it. */
export const UNREAD = Symbol("unread body");

const NORMAL_PATH = /^(?:\/(?!\.\.?(?:\/|$))[^/%\\]+)+$/;

/**
 * The path as rules see it: percent-decoding undone (so `/adm%69n` is `/admin`), `\` read as `/`,
 * empty segments dropped (`//admin` is `/admin`), no trailing slash. Dot segments are refused by
 * the caller before this (a client cannot climb out of a rule's prefix). Null for a path that does not decode.
 */
export function normalisePath(rawPath: string): string | null {
  // Already normal (no escape, backslash, empty, `.` or `..` segment, trailing slash): itself, as the long way would give it.
  if (NORMAL_PATH.test(rawPath)) return rawPath;
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return null;
  }
  const segments = decoded.replaceAll("\\", "/").split("/").filter(Boolean);
  if (segments.some((s) => s === "." || s === "..")) return null;
  return "/" + segments.join("/");
}

/**
 * `DELETE /v1/customers/42` as a neutral Command: the kind is the method and the normalised path.
 * A method the request asks the upstream to use instead (`X-HTTP-Method-Override: DELETE` and its
 * variants, `?_method=DELETE`: frameworks and API gateways honour them on a POST) is what it really
 * runs too, so a rule on `DELETE ...` catches the POST that carries it.
 */
export function requestCommand(facts: HttpRequestFacts, text: string): Command {
  const method = facts.method.toUpperCase();
  const command: Command = Object.assign(plainCommand(text, `${method} ${facts.path}`, "request"), { request: facts });
  // Path parameters (`/customers;v=1/42`): servlet containers and others drop them from each segment
  // before routing, so the path is judged without them too.
  const paths = facts.path.includes(";") ? [facts.path, withoutPathParameters(facts.path)] : [facts.path];
  // HEAD runs the GET handler in most frameworks (Express, Rails, Spring, ASP.NET): a rule on GET meets it.
  for (const m of [method, ...(method === "HEAD" ? ["GET"] : []), ...overrideMethods(facts)])
    for (const p of paths) {
      const kind = `${m} ${p}`;
      if (kind !== command.kind && !command.runs.includes(kind)) command.runs.push(kind);
    }
  return command;
}

/** A path with each segment's `;parameters` cut off (an empty segment left by it dropped). */
const withoutPathParameters = (path: string): string =>
  "/" +
  path
    .split("/")
    .map((s) => s.split(";")[0])
    .filter(Boolean)
    .join("/");

const OVERRIDE_HEADERS = ["x-http-method-override", "x-http-method", "x-method-override"];

/** The methods a request names in place of its own (upper case); any token, so an unknown one is still judged. */
function overrideMethods(facts: HttpRequestFacts): string[] {
  const named = [...OVERRIDE_HEADERS.map((h) => facts.headers[h]), ...(facts.query._method ?? []), ...(facts.formMethods ?? [])];
  return named.flatMap((v) => (v === undefined ? [] : v.split(",").map((m) => m.trim().toUpperCase()))).filter(Boolean);
}

type RequestGlob = { method: WildcardPattern; blocks: WildcardPattern[][]; open: boolean };
const globs = new Map<string, RequestGlob>();
const ANY_METHOD = /^[A-Z]+$/i;

/**
 * A rule's request kind, `METHOD /path/glob`: `*` is one path segment (or part of one: `cust*`),
 * `**` any number of segments (none included); the method may be `*`. Case-insensitive, like kinds.
 * Kept as the runs of segment patterns between the `**`s (`blocks`; `open`: there is at least one
 * `**`), matched against the kind's segments each at its first place after the one before: linear in
 * the path, where one regular expression for `GET /` `**` `/a/` `**` `/a/` `**` `/b` took 30 s on a
 * path of 2,000 segments.
 */
function requestGlob(pattern: string): RequestGlob {
  let glob = globs.get(pattern);
  if (glob) return glob;
  const [method, ...rest] = pattern.trim().split(/\s+/);
  const segments = rest.join(" ").split("/").filter(Boolean);
  const blocks: WildcardPattern[][] = [[]];
  for (const seg of segments) {
    if (seg === "**") blocks.push([]);
    else blocks[blocks.length - 1].push(wildcardPattern(seg, { dotAll: true }));
  }
  glob = { method: method === "*" ? ANY_METHOD : wildcardPattern(method), blocks, open: blocks.length > 1 };
  if (globs.size > 1000) globs.clear();
  globs.set(pattern, glob);
  return glob;
}

/** Whether `block` matches the segments from `at` on, one by one. */
const blockAt = (block: WildcardPattern[], segments: string[], at: number) => block.every((p, i) => p.test(segments[at + i]));

function globMatches(glob: RequestGlob, kind: string): boolean {
  const space = kind.indexOf(" ");
  if (space < 1 || !glob.method.test(kind.slice(0, space))) return false;
  // Kinds are normalised paths (normalisePath): no empty segment, no trailing slash but the root's.
  const segments = kind
    .slice(space + 1)
    .split("/")
    .filter(Boolean);
  const { blocks } = glob;
  if (!glob.open) return segments.length === blocks[0].length && blockAt(blocks[0], segments, 0);
  const first = blocks[0];
  const last = blocks[blocks.length - 1];
  const end = segments.length - last.length;
  if (end < first.length || !blockAt(first, segments, 0) || !blockAt(last, segments, end)) return false;
  let at = first.length;
  for (const block of blocks.slice(1, -1)) {
    let found = -1;
    for (let i = at; i + block.length <= end && found < 0; i++) if (blockAt(block, segments, i)) found = i;
    if (found < 0) return false;
    at = found + block.length;
  }
  return true;
}

/** Whether a rule's `kinds` entry written as `METHOD /path` matches a request's kind. */
export const requestKindMatches = (kind: string, wanted: string): boolean => globMatches(requestGlob(wanted), kind);

const valueGlob = (pattern: string) => wildcardPattern(pattern, { dotAll: true });

/** RFC 6901: `/customer/email`, `/items/0/id`; undefined when it leads nowhere. */
export function jsonPointer(doc: unknown, pointer: string): unknown {
  if (pointer === "") return doc;
  if (!pointer.startsWith("/")) return undefined;
  let at: unknown = doc;
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (at === null || typeof at !== "object") return undefined;
    if (Array.isArray(at)) {
      if (!/^(0|[1-9]\d*)$/.test(key)) return undefined;
      at = at[Number(key)];
    } else at = Object.prototype.hasOwnProperty.call(at, key) ? (at as Record<string, unknown>)[key] : undefined;
  }
  return at;
}

const asText = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

/** How case-insensitive JSON binders compare keys (Go's encoding/json, ASP.NET's, Jackson's option): `MODE`, `Mode` and `mode` are one; so are `ſ` and `s`, `K` (Kelvin) and `k`. */
export const foldKey = (key: string): string => key.toUpperCase().toLowerCase();

/** The values a pointer may denote to an upstream that matches keys by `foldKey` (every object key that folds alike, at each step). */
function foldedPointer(doc: unknown, pointer: string): unknown[] {
  if (!pointer.startsWith("/")) return [jsonPointer(doc, pointer)].filter((v) => v !== undefined);
  let at: unknown[] = [doc];
  for (const raw of pointer.slice(1).split("/")) {
    const key = foldKey(raw.replaceAll("~1", "/").replaceAll("~0", "~"));
    at = at.flatMap((v) => {
      if (v === null || typeof v !== "object") return [];
      if (Array.isArray(v)) return /^(0|[1-9]\d*)$/.test(key) && Number(key) < v.length ? [v[Number(key)]] : [];
      return Object.entries(v as Record<string, unknown>)
        .filter(([k]) => foldKey(k) === key)
        .map(([, x]) => x);
    });
  }
  return at;
}

export type RequestConditions = { query?: Record<string, string>; headers?: Record<string, string>; body?: Record<string, string> };

/**
 * A rule's request conditions (all must hold; each value a `*` glob on the value's text): query
 * parameters (any of a repeated one), headers, JSON body fields by JSON pointer. A command that is
 * not a request never meets them. A body the gateway did not read meets them for a deny or review
 * rule and not for an allow rule: what cannot be checked is not let through by it.
 */
export function requestConditionsHold(m: RequestConditions, c: Command, action: "allow" | "deny" | "review"): boolean {
  if (!m.query && !m.headers && !m.body) return true;
  const r = c.request;
  if (!r) return false;
  for (const [name, pattern] of Object.entries(m.query ?? {})) {
    // ASP.NET binds `?MODE=force` to mode: a deny or review rule meets any case of the name.
    const values = action === "allow" ? (r.query[name] ?? []) : Object.entries(r.query).flatMap(([k, v]) => (foldKey(k) === foldKey(name) ? v : []));
    if (!values.some((v) => valueGlob(pattern).test(v))) return false;
  }
  for (const [name, pattern] of Object.entries(m.headers ?? {})) {
    const v = r.headers[name.toLowerCase()];
    if (v === undefined) return false;
    // A header sent twice reaches the rule as `a, b` (Node joins repeats), and upstreams read the first,
    // the last or the list: a deny or review rule meets any one element too; an allow rule only the whole.
    const values = action === "allow" || !v.includes(",") ? [v] : [v, ...v.split(",").map((e) => e.trim())];
    if (!values.some((e) => valueGlob(pattern).test(e))) return false;
  }
  if (m.body) {
    if (r.body === UNREAD) return action !== "allow";
    for (const [pointer, pattern] of Object.entries(m.body)) {
      // Some upstreams match JSON keys whatever their case (Go, ASP.NET): a deny or review rule on
      // `/mode` meets `{"MODE": "force"}` too; an allow rule only the key as written.
      const values = action === "allow" ? [jsonPointer(r.body, pointer)].filter((v) => v !== undefined) : foldedPointer(r.body, pointer);
      if (!values.some((v) => valueGlob(pattern).test(asText(v)))) return false;
    }
  }
  return true;
}

/** Whether a policy reads request bodies (the gateway then buffers them, up to the connection's limit, before judging). */
export const policyReadsBodies = (rules: ReadonlyArray<{ match: RequestConditions }>): boolean => rules.some((r) => r.match.body !== undefined);
