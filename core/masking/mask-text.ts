import { createHmac } from "node:crypto";
import type { Detector, Span } from "./detectors";

export type MaskStyle = "redact" | "partial" | "token";
export type MaskCounts = Record<string, number>;

/**
 * The replacement for one sensitive value:
 * - redact: `[REDACTED]` (or `[REDACTED:email]` for a detector hit);
 * - partial: every character but the last 4 letters/digits becomes `*` (separators kept);
 * - token: `tok_` + 16 base32 characters of HMAC-SHA256(key, value): the same value gives the same
 *   token under one key (joins and GROUP BY still work), and it cannot be reversed without the key.
 * None contains a quote, backslash, comma, brace or whitespace, so the result stays valid inside
 * JSON strings, array and composite literals and CSV.
 */
export function maskValue(value: string, style: MaskStyle, key: Buffer, label?: string): string {
  if (style === "token") return tokenOf(createHmac("sha256", key).update(value, "utf8").digest());
  if (style === "partial") return partial(value);
  return label ? redactedWith(label) : "[REDACTED]";
}

// `[REDACTED:<detector>]`, built once per label: a new string for every hit cost a concatenation,
// and a chain of pieces that every later read (quoting, encoding) had to flatten first.
/** What stands for a message server-side code gave (a DO block's, a procedure's SIGNAL, a trigger's RAISE) under column rules: it may say any value it read. */
export const SERVER_CODE_WITHHELD = "[REDACTED: message of server-side code withheld by masking]";

const REDACTED_LABELS = new Map<string, string>();
function redactedWith(label: string): string {
  let s = REDACTED_LABELS.get(label);
  if (s === undefined) {
    if (REDACTED_LABELS.size >= 1000) REDACTED_LABELS.clear();
    REDACTED_LABELS.set(label, (s = `[REDACTED:${label}]`));
  }
  return s;
}

/** The token of a value from its HMAC: `tok_` + 16 base32 characters (80 bits). */
export function tokenOf(mac: Uint8Array): string {
  // 10 bytes = 80 bits = 16 base32 characters, read 5 bits at a time.
  const codes = TOKEN_CODES;
  for (let i = 0; i < 16; i++) {
    const bit = i * 5;
    const byte = bit >> 3;
    const pair = (mac[byte] << 8) | (mac[byte + 1] ?? 0);
    codes[4 + i] = ALPHABET_CODES[(pair >> (11 - (bit & 7))) & 31];
  }
  return String.fromCharCode.apply(null, codes as unknown as number[]);
}
const TOKEN_CODES = new Uint16Array([116, 111, 107, 95, ...new Array<number>(16).fill(0)]); // "tok_" + 16
const ALPHABET_CODES = Uint8Array.from("abcdefghijklmnopqrstuvwxyz234567", (c) => c.charCodeAt(0));

export const isAlnum = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/** Every character but the last 4 letters/digits becomes `*`; separators stay. */
function partial(value: string): string {
  let keepFrom = value.length;
  for (let kept = 0; keepFrom > 0 && kept < 4;) if (isAlnum(value.charCodeAt(--keepFrom))) kept++;
  let out = "";
  let from = 0;
  // Runs of kept characters are copied whole; each letter or digit before the last four becomes one `*`.
  for (let i = 0; i < keepFrom; i++) {
    if (!isAlnum(value.charCodeAt(i))) continue;
    out += value.slice(from, i) + "*";
    from = i + 1;
  }
  return out + value.slice(from);
}

/** Finds every detector's hits in `text` and replaces them; overlapping hits keep the longest. */
export function maskText(text: string, detectors: Detector[], style: MaskStyle, key: Buffer): { text: string; counts: MaskCounts } {
  return replaceHits(text, detectors, (value, id) => maskValue(value, style, key, id));
}

/** maskText with the replacement chosen by the caller (the value masker caches tokens this way). */
export function replaceHits(text: string, detectors: Detector[], replace: (value: string, detectorId: string) => string): { text: string; counts: MaskCounts } {
  const counts: MaskCounts = {};
  const out = replaceEachHit(text, detectors, replace, (id) => (counts[id] = (counts[id] ?? 0) + 1));
  return { text: out ?? text, counts };
}

/**
 * The loop behind replaceHits, for callers that count as they go: null when nothing was found.
 * A text with one hit (the common case: an e-mail in a value) costs one match array and no sort.
 */
export function replaceEachHit(
  text: string,
  detectors: Detector[],
  replace: (value: string, detectorId: string) => string,
  hit: (detectorId: string) => void,
  span?: (start: number, end: number, detectorId: string) => void,
): string | null {
  // One detector (the usual case: a value's features leave one that could match), whose spans come in order (checked: a custom one's might not).
  if (detectors.length === 1) {
    const found = detectors[0].find(text);
    if (found.length === 0) return null;
    if (inOrder(found)) return spliced(text, found, detectors[0].id, replace, hit, span);
  }
  let hits: Array<Span & { id: string }> | null = null;
  for (const d of detectors) {
    const found = d.find(text);
    for (const s of found) (hits ??= []).push({ start: s.start, end: s.end, id: d.id });
  }
  if (hits === null) return null;
  if (hits.length > 1) hits.sort((a, b) => a.start - b.start || b.end - b.start - (a.end - a.start));
  return spliced(text, hits, "", replace, hit, span);
}

const inOrder = (spans: Span[]) => spans.every((s, i) => i === 0 || s.start >= spans[i - 1].end);

/**
 * The text with each hit replaced, in order: a hit inside one already replaced is skipped, and the
 * part of one past it replaced on its own (nothing a detector found stays); a hit without an id is `id`'s.
 */
function spliced(
  text: string,
  hits: Array<Span & { id?: string }>,
  id: string,
  replace: (value: string, detectorId: string) => string,
  hit: (detectorId: string) => void,
  span?: (start: number, end: number, detectorId: string) => void,
): string {
  let out = "";
  let at = 0;
  for (const h of hits) {
    if (h.end <= at) continue; // inside a hit already replaced
    // A hit that begins inside one already replaced and goes on past it: the rest of it is replaced too.
    const start = Math.max(h.start, at);
    const hid = h.id ?? id;
    const r = replace(text.slice(start, h.end), hid);
    // A value that is one hit (an e-mail in its own field) is its replacement as it is: no pieces joined.
    out = at === 0 && start === 0 ? r : out + text.slice(at, start) + r;
    at = h.end;
    hit(hid);
    span?.(start, h.end, hid);
  }
  return at === text.length ? out : out + text.slice(at);
}
