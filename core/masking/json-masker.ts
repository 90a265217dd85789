import type { MaskStyle } from "./mask-text";
import type { ValueMasker } from "./value-masker";

/** A rule on JSON paths, compiled: `$.customers[*].email`, `$..iban`, `$.items[0].card`. */
export type CompiledPathRule = { name: string; style: MaskStyle; segments: PathSegment[] };
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

// Strings (unrolled, no backtracking), numbers, literals, structure.
const TOKEN = /"[^"\\]*(?:\\.[^"\\]*)*"|-?\d[\d.eE+-]*|true|false|null|[{}[\]:,]/g;
const BLANK = /^[\s]*$/;
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
  TOKEN.lastIndex = 0;
  let gapFrom = 0;
  for (let m = TOKEN.exec(text); m; m = TOKEN.exec(text)) {
    const tok = m[0];
    const at = m.index;
    if (at > gapFrom) {
      const gap = text.slice(gapFrom, at);
      if (!BLANK.test(gap)) {
        const masked = masker.scanText(gap);
        if (masked !== null) emit(gapFrom, at, masked);
      }
    }
    gapFrom = at + tok.length;
    const top = stack.at(-1);
    const c = tok.charCodeAt(0);
    if (c === 123 /* { */) stack.push({ obj: true, key: null, expectKey: true });
    else if (c === 91 /* [ */) stack.push({ obj: false, index: 0 });
    else if (c === 125 /* } */ || c === 93 /* ] */) stack.pop();
    else if (c === 44 /* , */) {
      if (top?.obj) top.expectKey = true;
      else if (top) top.index++;
    } else if (c === 58 /* : */) {
      if (top?.obj) top.expectKey = false;
    } else if (c === 34 /* " */ && top?.obj && top.expectKey) {
      const key = tok.includes("\\") ? (safeParse(tok) as string | undefined) : tok.slice(1, -1);
      top.key = key ?? tok;
      const masked = masker.scanText(top.key);
      if (masked !== null) emit(at, at + tok.length, JSON.stringify(masked));
    } else {
      // A value: a string, a number or a literal.
      const rule = ruleFor();
      const isString = c === 34;
      const value = isString ? (tok.includes("\\") ? ((safeParse(tok) as string | undefined) ?? tok) : tok.slice(1, -1)) : tok;
      if (rule) {
        if (tok !== "null") emit(at, at + tok.length, JSON.stringify(masker.whole(value, rule.style, rule.name)));
        continue;
      }
      if (!isString && (tok.length < 9 || c > 57)) continue; // short numbers and literals hold nothing a detector finds
      const masked = masker.scanText(value);
      if (masked !== null) emit(at, at + tok.length, JSON.stringify(masked));
    }
  }
  if (gapFrom < text.length && !BLANK.test(text.slice(gapFrom))) {
    const masked = masker.scanText(text.slice(gapFrom));
    if (masked !== null) emit(gapFrom, text.length, masked);
  }
  if (out.length === 0) return null;
  out.push(text.slice(last));
  return out.join("");
}

function safeParse(literal: string): unknown {
  try {
    return JSON.parse(literal);
  } catch {
    return undefined;
  }
}
