import type { MaskStyle } from "./mask-text";
import type { ValueMasker } from "./value-masker";

/**
 * A rule on JSON paths, compiled: `$.customers[*].email`, `$..iban`, `$.items[0].card`. With a
 * `replacement`, every value it covers becomes that text instead of being masked in its style
 * (Kubernetes Secret data stays valid base64).
 */
export type CompiledPathRule = { name: string; style: MaskStyle; segments: PathSegment[]; replacement?: string };
/** A key, an index, `*` (any one key or index) or `..` (any depth, none included). */
type PathSegment = { key: string } | { index: number } | { any: true } | { descend: true };

const PATH_SYNTAX = /^\$(?:\.\.?(?:[A-Za-z_$][\w$-]*|\*)|(?:\.\.)?\[(?:\d+|\*|'[^']*'|"[^"]*")\])+$/;
export const JSON_PATH_RULE = "a JSON path like $.customers[*].email, $..iban or $['odd key']";
export const isJsonPath = (p: string): boolean => PATH_SYNTAX.test(p);

export function compilePathRule(name: string, path: string, style: MaskStyle): CompiledPathRule {
  const segments: PathSegment[] = [];
  const re = /(\.\.|\.)([A-Za-z_$][\w$-]*|\*)|(\.\.)?\[(\d+|\*|'[^']*'|"[^"]*")\]/g;
  for (const m of path.slice(1).matchAll(re)) {
    if (m[1] === ".." || m[3]) segments.push({ descend: true });
    const part = m[2] ?? m[4];
    if (part === "*") segments.push({ any: true });
    else if (m[4] !== undefined && /^\d+$/.test(part)) segments.push({ index: Number(part) });
    else segments.push({ key: m[4] !== undefined ? part.slice(1, -1) : part });
  }
  return { name, style, segments };
}

/** Whether a rule matches the value at `path` or one of its containers (a rule on an object masks all inside it). */
function covers(rule: PathSegment[], path: ReadonlyArray<string | number>, i = 0, j = 0): boolean {
  if (i === rule.length) return true;
  const seg = rule[i];
  if ("descend" in seg) {
    for (let k = j; k <= path.length; k++) if (covers(rule, path, i + 1, k)) return true;
    return false;
  }
  if (j === path.length) return false;
  const at = path[j];
  const ok = "any" in seg || ("key" in seg && typeof at === "string" && at === seg.key) || ("index" in seg && at === seg.index);
  return ok && covers(rule, path, i + 1, j + 1);
}

type Frame = { obj: true; key: string | null; expectKey: boolean } | { obj: false; index: number };

/**
 * Masks a JSON text for one session without re-serialising it: every byte outside the values it
 * changes stays as it was (number precision, key order, whitespace). String values (and keys, and
 * long numbers) go through the detectors; a value at a path a rule names is masked whole, a container
 * with everything in it. Text that is not JSON is still scanned by the detectors, so a broken
 * document leaks nothing. Returns null when nothing changed.
 */
export function maskJsonText(text: string, masker: ValueMasker): string | null {
  const paths = masker.masking.paths ?? [];
  const stack: Frame[] = [];
  const path: Array<string | number> = [];
  const out: string[] = [];
  let last = 0;
  const emit = (from: number, to: number, replacement: string) => {
    out.push(text.slice(last, from), replacement);
    last = to;
  };
  const currentPath = (): Array<string | number> => {
    path.length = 0;
    for (const f of stack) path.push(f.obj ? (f.key ?? "") : f.index);
    return path;
  };
  const ruleFor = () => (paths.length ? paths.find((r) => covers(r.segments, currentPath())) : undefined);
  const n = text.length;
  let nextBackslash = text.indexOf("\\");
  const hasEscape = (from: number, to: number) => {
    if (nextBackslash >= 0 && nextBackslash < from) nextBackslash = text.indexOf("\\", from);
    return nextBackslash >= 0 && nextBackslash < to;
  };
  const stringValue = (at: number, end: number) => (hasEscape(at, end) ? ((safeParse(text.slice(at, end)) as string | undefined) ?? text.slice(at, end)) : text.slice(at + 1, end - 1));
  // Text between tokens that is not blank (not JSON): scanned by the detectors as it is.
  const gap = (from: number, to: number) => {
    const masked = masker.scanText(text.slice(from, to));
    if (masked !== null) emit(from, to, masked);
  };
  let gapFrom = -1;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9) {
      i++;
      continue;
    }
    let end: number;
    if (c === 34 /* " */) end = stringEnd(text, i);
    else if (c === 123 || c === 125 || c === 91 || c === 93 || c === 44 || c === 58) end = i + 1;
    else if (c === 45 || (c >= 48 && c <= 57)) {
      end = i + 1;
      while (end < n && isNumberChar(text.charCodeAt(end))) end++;
    } else if (text.startsWith("true", i) || text.startsWith("null", i)) end = i + 4;
    else if (text.startsWith("false", i)) end = i + 5;
    else end = -2;
    if (end === -2) {
      if (gapFrom < 0) gapFrom = i;
      i++;
      continue;
    }
    if (end === -1) break; // an unterminated string: the rest is scanned as text below
    if (gapFrom >= 0) {
      gap(gapFrom, i);
      gapFrom = -1;
    }
    const at = i;
    i = end;
    const top = stack.at(-1);
    if (c === 123 /* { */) stack.push({ obj: true, key: null, expectKey: true });
    else if (c === 91 /* [ */) stack.push({ obj: false, index: 0 });
    else if (c === 125 /* } */ || c === 93 /* ] */) stack.pop();
    else if (c === 44 /* , */) {
      if (top?.obj) top.expectKey = true;
      else if (top) top.index++;
    } else if (c === 58 /* : */) {
      if (top?.obj) top.expectKey = false;
    } else if (c === 34 && top?.obj && top.expectKey) {
      top.key = stringValue(at, end);
      const masked = masker.scanText(top.key);
      if (masked !== null) emit(at, end, JSON.stringify(masked));
    } else {
      // A value: a string, a number or a literal.
      const rule = ruleFor();
      const isString = c === 34;
      if (rule) {
        if (c === 110 /* null */) continue;
        if (rule.replacement !== undefined) {
          masker.count(`path:${rule.name}`);
          emit(at, end, JSON.stringify(rule.replacement));
        } else emit(at, end, JSON.stringify(masker.whole(isString ? stringValue(at, end) : text.slice(at, end), rule.style, rule.name)));
        continue;
      }
      if (!isString && (end - at < 9 || c > 57)) continue; // short numbers and literals hold nothing a detector finds
      const masked = masker.scanText(isString ? stringValue(at, end) : text.slice(at, end));
      if (masked !== null) emit(at, end, JSON.stringify(masked));
    }
  }
  if (gapFrom < 0 && i < n) gapFrom = i;
  if (gapFrom >= 0 && gapFrom < n) gap(gapFrom, n);
  if (out.length === 0) return null;
  out.push(text.slice(last));
  return out.join("");
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

const isNumberChar = (c: number) => (c >= 48 && c <= 57) || c === 46 || c === 101 || c === 69 || c === 43 || c === 45;

function safeParse(literal: string): unknown {
  try {
    return JSON.parse(literal);
  } catch {
    return undefined;
  }
}
