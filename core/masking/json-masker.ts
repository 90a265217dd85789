import { isAscii } from "node:buffer";
import type { MaskStyle } from "./mask-text";
import { BytesOut, TextOut, type MaskedOut } from "./json-masked-out";
import type { ValueMasker } from "./value-masker";

/**
 * A rule on JSON paths, compiled: `$.customers[*].email`, `$..iban`, `$.items[0].card`. With a
 * `replacement`, every value it covers becomes that text instead of being masked in its style
 * (Kubernetes Secret data stays valid base64).
 */
export type CompiledPathRule = { name: string; style: MaskStyle; segments: PathSegment[]; replacement?: string };
/**
 * A key, an index, `*` (any one key or index) or `..` (any depth, none included). One shape for all
 * four (a kind and both fields), so that the check run for every value in a body stays monomorphic.
 */
type PathSegment = { kind: "key" | "index" | "any" | "descend"; key: string; index: number };
const segment = (kind: PathSegment["kind"], key = "", index = -1): PathSegment => ({ kind, key, index });

const PATH_SYNTAX = /^\$(?:\.\.?(?:[A-Za-z_$][\w$-]*|\*)|(?:\.\.)?\[(?:\d+|\*|'[^']*'|"[^"]*")\])+$/;
export const JSON_PATH_RULE = "a JSON path like $.customers[*].email, $..iban or $['odd key']";
/** Whether a text is one JSON object, array or string (a masked value is kept as JSON when it still is one, else made a JSON string). */
export function isJsonText(t: string): boolean {
  const first = t.trimStart()[0];
  if (first !== "{" && first !== "[" && first !== '"') return false;
  try {
    JSON.parse(t);
    return true;
  } catch {
    return false;
  }
}

export const isJsonPath = (p: string): boolean => PATH_SYNTAX.test(p);

export function compilePathRule(name: string, path: string, style: MaskStyle): CompiledPathRule {
  const segments: PathSegment[] = [];
  const re = /(\.\.|\.)([A-Za-z_$][\w$-]*|\*)|(\.\.)?\[(\d+|\*|'[^']*'|"[^"]*")\]/g;
  for (const m of path.slice(1).matchAll(re)) {
    if (m[1] === ".." || m[3]) segments.push(segment("descend"));
    const part = m[2] ?? m[4];
    if (part === "*") segments.push(segment("any"));
    else if (m[4] !== undefined && /^\d+$/.test(part)) segments.push(segment("index", "", Number(part)));
    else segments.push(segment("key", m[4] !== undefined ? part.slice(1, -1) : part));
  }
  return { name, style, segments };
}

/** Whether a rule matches the value at `path` or one of its containers (a rule on an object masks all inside it). */
function covers(rule: PathSegment[], path: ReadonlyArray<string | number>, i = 0, j = 0): boolean {
  if (i === rule.length) return true;
  const seg = rule[i];
  if (seg.kind === "descend") {
    for (let k = j; k <= path.length; k++) if (covers(rule, path, i + 1, k)) return true;
    return false;
  }
  if (j === path.length) return false;
  const at = path[j];
  const ok = seg.kind === "any" || (seg.kind === "key" ? at === seg.key : at === seg.index);
  return ok && covers(rule, path, i + 1, j + 1);
}

/**
 * Masks a JSON text for one session without re-serialising it: every byte outside the values it
 * changes stays as it was (number precision, key order, whitespace). String values (and keys, and
 * long numbers) go through the detectors; a value at a path a rule names is masked whole, a container
 * with everything in it. Text that is not JSON is still scanned by the detectors, so a broken
 * document leaks nothing. Returns null when nothing changed.
 */
export function maskJsonText(text: string, masker: ValueMasker): string | null {
  const out = new TextOut(text);
  const edits = jsonEdits(text, masker, out);
  if (edits < 0) return masker.scanText(text);
  return edits === 0 ? null : out.finish();
}

/**
 * maskJsonText of a body as it came off the wire, to bytes for the wire (what the HTTP relay does).
 * `notJson` is called when the body does not read as JSON (the detectors then scan it as text).
 */
export function maskJsonBytes(body: Buffer, masker: ValueMasker, notJson?: () => void): Buffer | null {
  // An ASCII body (most JSON: non-ASCII is usually escaped) has one byte per character, so the
  // edits' offsets are byte offsets: the output is written as the pass goes, the unchanged stretches
  // copied from the body itself instead of joined as a text and encoded again (Array.join of 38,000
  // pieces alone took 10.6 ms for a 1 MiB body). Any other body goes through the text.
  const ascii = isAscii(body);
  // For ASCII, latin1 decodes to the same text without UTF-8's checks.
  const text = body.toString(ascii ? "latin1" : "utf8");
  const out = ascii ? new BytesOut(body) : new TextOut(text);
  const edits = jsonEdits(text, masker, out);
  if (edits < 0) {
    notJson?.();
    const masked = masker.scanText(text);
    return masked === null ? null : Buffer.from(masked, "utf8");
  }
  if (edits === 0) return null;
  const done = out.finish();
  return typeof done === "string" ? Buffer.from(done, "utf8") : done;
}

/**
 * What may come before a JSON document in a body, kept as it is: a byte-order mark, a JSON text
 * sequence's record separator, and the anti-XSSI prefixes some APIs put first (`)]}'`, `while(1);`, `for(;;);`). Without it the body read
 * as not JSON, and only the detectors saw it (a value under a path rule came back plain).
 */
// eslint-disable-next-line no-control-regex -- U+001E, the record separator a JSON text sequence puts before each document (RFC 7464)
export const JSON_PREFIX = /^\uFEFF?(?:\u001e|\)\]\}',?|while\s*\(\s*1\s*\)\s*;|for\s*\(\s*;\s*;\s*\)\s*;)?/;

/** Masks a JSON text: one pass over it all (see JsonPass); the number of edits, or -1 when it is not JSON (what was counted is forgotten). */
function jsonEdits(text: string, masker: ValueMasker, out: MaskedOut): number {
  const before = masker.checkpoint();
  const pass = new JsonPass(masker);
  if (pass.run(text, JSON_PREFIX.exec(text)![0].length, out, true) < 0) {
    // The caller masks the whole text as text.
    masker.rollback(before);
    return -1;
  }
  return pass.edits;
}

/** `word` (true, null, false, NaN...) could still be what the text ends with at `i`: its first characters, the rest not yet come. */
const unfinishedWord = (text: string, i: number, words: readonly string[]) => words.some((w) => text.length - i < w.length && w.startsWith(text.slice(i)));

/**
 * The pass behind maskJsonText and maskJsonBytes, and behind a JSON document masked as it streams
 * (json-stream-masker.ts), whose pieces it reads one after another: what it knows of the document
 * (open containers, the current value's path) is kept between them. Written for speed (the issue's
 * budget is 20 ms a MiB): no object per token; a string without escapes is scanned in place
 * (ValueMasker.scanRange) and sliced out only when a detector could match it; the path of the
 * current value is kept as it changes, and keys are only read when a path rule needs them.
 */
export class JsonPass {
  /** Per open container: whether it is an object; and the path of the current value, a key or an index per container. */
  private readonly isObject: boolean[] = [];
  private readonly path: Array<string | number> = [];
  private expectKey = false;
  /** Whether the last token ended a value (or a key): another value right after it means this is not JSON. */
  private afterValue = false;
  /** Whether the last token closed a container: an object or array right after one, at the top, begins the next document. */
  private closedLast = false;
  edits = 0;
  /**
   * The keys the path rules name, and what stands in the path for any other key (a string none of
   * them is): a key is compared with these in place instead of sliced out of the text, since
   * `*` and `..` match any key whatever it says.
   */
  private readonly ruleKeys: string[];
  private readonly otherKey: string;

  constructor(private readonly masker: ValueMasker) {
    this.ruleKeys = [...new Set((masker.masking.paths ?? []).flatMap((r) => r.segments.filter((g) => g.kind === "key").map((g) => g.key)))];
    let other = "\u0000";
    while (this.ruleKeys.includes(other)) other += "\u0000";
    this.otherKey = other;
  }

  /**
   * Reads `text` from `from` on, writing what it masks to `out` (offsets in `text`). Returns where it
   * stopped: the text's end; or, when more is to come (`final` false), the start of a token the text
   * ends inside (the caller gives it again with what follows); or -1 when the text is not JSON (a word,
   * an unterminated string, two values in a row: `4111 1111 1111 1111` reads as four short numbers).
   */
  run(text: string, from: number, out: MaskedOut, final: boolean): number {
    const { masker, isObject, path } = this;
    const paths = masker.masking.paths ?? [];
    const withPaths = paths.length > 0;
    let { expectKey, afterValue, closedLast, edits } = this;
    const n = text.length;
    let nextBackslash = text.indexOf("\\", from);
    let i = from;
    let stopped = -1;
    while (i < n) {
      const c = text.charCodeAt(i);
      let end: number;
      switch (c) {
        case 32:
        case 10:
        case 13:
        case 9:
          i++;
          continue;
        case 123 /* { */:
        case 91 /* [ */:
        case 125 /* } */:
        case 93 /* ] */:
        case 44 /* , */:
        case 58 /* : */:
          end = i + 1;
          break;
        case 34 /* " */:
          end = stringEnd(text, i);
          break;
        case 116 /* t */:
        case 110 /* n */:
          end = text.startsWith(c === 116 ? "true" : "null", i) ? i + 4 : -2;
          break;
        case 102 /* f */:
          end = text.startsWith("false", i) ? i + 5 : -2;
          break;
        default:
          if ((c >= 48 && c <= 57) || (c === 45 && text.charCodeAt(i + 1) !== 73)) {
            end = i + 1;
            while (end < n && isNumberChar(text.charCodeAt(end))) end++;
            if (end === n && !final) end = -1; // more digits may follow
          } else end = nonFiniteEnd(text, i); // NaN, Infinity, -Infinity: Python's json writes them (pandas' NaN among them)
      }
      // A token the text ends inside, when more is to come: read again from its start with the rest.
      if (!final && (end === -1 || (end === -2 && unfinishedWord(text, i, WORDS)))) {
        stopped = i;
        break;
      }
      // An object or array right after one at the top is the next document of a sequence (JSON lines, or
      // documents written one after another), each read from its own root.
      const startsValue = c !== 125 && c !== 93 && c !== 44 && c !== 58;
      if (end < 0 || (startsValue && afterValue && !(closedLast && isObject.length === 0 && (c === 123 || c === 91)))) {
        i = -1;
        break;
      }
      afterValue = c === 125 || c === 93 || (startsValue && c !== 123 && c !== 91);
      closedLast = c === 125 || c === 93;
      const at = i;
      i = end;
      const depth = isObject.length;
      let replacement: string | null = null;
      switch (c) {
        case 123:
          isObject.push(true);
          path.push("");
          expectKey = true;
          continue;
        case 91:
          isObject.push(false);
          path.push(0);
          expectKey = false;
          continue;
        case 125:
        case 93:
          isObject.pop();
          path.pop();
          expectKey = false;
          continue;
        case 44:
          if (depth === 0) continue;
          if (isObject[depth - 1]) expectKey = true;
          else path[depth - 1] = (path[depth - 1] as number) + 1;
          continue;
        case 58:
          expectKey = false;
          continue;
      }
      const isString = c === 34;
      let escaped = false;
      if (isString && nextBackslash >= 0 && nextBackslash < end) {
        if (nextBackslash < at) nextBackslash = text.indexOf("\\", at);
        escaped = nextBackslash >= 0 && nextBackslash < end;
      }
      if (isString && expectKey && depth > 0 && isObject[depth - 1]) {
        if (withPaths) path[depth - 1] = escaped ? decoded(text, at, end) : this.keyAt(text, at + 1, end - 1);
        replacement = escaped ? masker.scanText(decoded(text, at, end)) : masker.scanRange(text, at + 1, end - 1);
      } else {
        // A value: a string, a number or a literal.
        const rule = withPaths ? ruleFor(paths, path) : undefined;
        if (rule) {
          if (c === 110 /* null */) continue;
          if (rule.replacement !== undefined) {
            masker.count(`path:${rule.name}`);
            replacement = rule.replacement;
          } else if (rule.style === "partial" && isString && !escaped && out.partial !== undefined) {
            masker.countWhole(rule.name);
            out.partial(at, end);
            edits++;
            continue;
          } else replacement = masker.whole(!isString ? text.slice(at, end) : escaped ? decoded(text, at, end) : text.slice(at + 1, end - 1), rule.style, rule.name);
        } else if (isString) replacement = escaped ? masker.scanText(decoded(text, at, end)) : masker.scanRange(text, at + 1, end - 1);
        else if (end - at >= 9 && c <= 57) replacement = masker.scanRange(text, at, end); // short numbers and literals hold nothing a detector finds
      }
      if (replacement !== null) {
        out.edit(at, end, replacement);
        edits++;
      }
    }
    this.expectKey = expectKey;
    this.afterValue = afterValue;
    this.closedLast = closedLast;
    this.edits = edits;
    return stopped >= 0 ? stopped : i;
  }

  /** The key [from, to) of the text (no escapes), as the path holds it: the rule key it is, else otherKey. */
  private keyAt(text: string, from: number, to: number): string {
    for (const k of this.ruleKeys) if (k.length === to - from && text.startsWith(k, from)) return k;
    return this.otherKey;
  }
}

const WORDS = ["true", "null", "false", "NaN", "Infinity", "-Infinity"] as const;

function ruleFor(paths: CompiledPathRule[], path: ReadonlyArray<string | number>): CompiledPathRule | undefined {
  for (const r of paths) if (covers(r.segments, path)) return r;
  return undefined;
}

/** A string literal [at, end) that has escapes, decoded (or as it is, when it does not parse). */
function decoded(text: string, at: number, end: number): string {
  return (safeParse(text.slice(at, end)) as string | undefined) ?? text.slice(at, end);
}

/** The index after a string literal's closing quote (escaped quotes skipped), or -1 when it is not closed. */
function stringEnd(text: string, start: number): number {
  for (let j = start + 1; ;) {
    const q = text.indexOf('"', j);
    if (q < 0) return -1;
    let backslashes = 0;
    for (let k = q - 1; k > start && text.charCodeAt(k) === 92; k--) backslashes++;
    if ((backslashes & 1) === 0) return q + 1;
    j = q + 1;
  }
}

/** The end of `NaN`, `Infinity` or `-Infinity` at `i`, or -2 when none is there. */
function nonFiniteEnd(text: string, i: number): number {
  for (const word of ["NaN", "Infinity", "-Infinity"]) if (text.startsWith(word, i)) return i + word.length;
  return -2;
}

const isNumberChar = (c: number) => (c >= 48 && c <= 57) || c === 46 || c === 101 || c === 69 || c === 43 || c === 45;

function safeParse(literal: string): unknown {
  try {
    return JSON.parse(literal);
  } catch {
    return undefined;
  }
}
