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
  if (style === "token") {
    const mac = createHmac("sha256", key).update(value, "utf8").digest();
    return "tok_" + base32(mac).slice(0, 16);
  }
  if (style === "partial") {
    let keep = 4;
    const out = [...value];
    for (let i = out.length - 1; i >= 0; i--) {
      if (!/[A-Za-z0-9]/.test(out[i])) continue;
      if (keep > 0) keep--;
      else out[i] = "*";
    }
    return out.join("");
  }
  return label ? `[REDACTED:${label}]` : "[REDACTED]";
}

/** Finds every detector's hits in `text` and replaces them; overlapping hits keep the longest. */
export function maskText(text: string, detectors: Detector[], style: MaskStyle, key: Buffer): { text: string; counts: MaskCounts } {
  return replaceHits(text, detectors, (value, id) => maskValue(value, style, key, id));
}

/** maskText with the replacement chosen by the caller (the value masker caches tokens this way). */
export function replaceHits(text: string, detectors: Detector[], replace: (value: string, detectorId: string) => string): { text: string; counts: MaskCounts } {
  const hits: Array<Span & { id: string }> = [];
  for (const d of detectors) for (const s of d.find(text)) hits.push({ ...s, id: d.id });
  if (hits.length === 0) return { text, counts: {} };
  hits.sort((a, b) => a.start - b.start || b.end - b.start - (a.end - a.start));
  const counts: MaskCounts = {};
  let out = "";
  let at = 0;
  for (const h of hits) {
    if (h.start < at) continue; // inside a longer hit already replaced
    out += text.slice(at, h.start) + replace(text.slice(h.start, h.end), h.id);
    at = h.end;
    counts[h.id] = (counts[h.id] ?? 0) + 1;
  }
  return { text: out + text.slice(at), counts };
}

const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";
function base32(buf: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}
