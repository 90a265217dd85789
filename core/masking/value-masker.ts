import { featuresOfBytes, featuresOfText } from "./content-features";
import type { Detector } from "./detectors";
import { maskValue, replaceEachHit, tokenOf, type MaskCounts, type MaskStyle } from "./mask-text";
import { hmacSha256 } from "./hmac-sha256";
import type { SessionMasking } from "./compile-rules";

const TOKEN_CACHE_MAX = 10_000;

/** The detectors that can match a text with these features. */
function candidates(detectors: Detector[], features: number): Detector[] | null {
  let out: Detector[] | null = null;
  for (const d of detectors) {
    if (d.needs.length > 0 && !d.needs.some((n) => (features & n) === n)) continue;
    (out ??= []).push(d);
  }
  return out;
}

/**
 * Masks values for one session, whatever the protocol: whole values under a column rule, and
 * every detector hit inside any text (JSON, array and composite literals included: replacements
 * carry no quote, comma, brace, backslash or space). Counts what it masked, by detector id or
 * `column:<rule>`, until the caller takes the counts (once per statement).
 */
export class ValueMasker {
  private counts: MaskCounts = {};
  private counted = false;
  private readonly tokens = new Map<string, string>();
  private readonly ruleKeys = new Map<string, string>();
  private readonly mac: (data: Uint8Array) => Uint8Array;
  // The detectors that can match a text, by its features (content-features.ts: 13 bits), worked out once each.
  private readonly byFeatures: Array<Detector[] | null | undefined> = [];

  constructor(
    readonly masking: SessionMasking,
    private readonly key: Buffer,
  ) {
    this.mac = hmacSha256(key);
  }

  /** The whole value masked in a column rule's style. */
  whole(value: string, style: MaskStyle, ruleName: string): string {
    this.count(this.ruleKey(ruleName));
    return this.styled(value, style);
  }

  /** Counts a value a rule masked whole that the caller masked itself (as whole() would have). */
  countWhole(ruleName: string): void {
    this.count(this.ruleKey(ruleName));
  }

  /**
   * A column value (UTF-8 bytes [start, end)) masked whole, without decoding it: a token is the
   * MAC of the bytes, a partial mask replaces ASCII letters and digits in a copy (multi-byte
   * characters are kept, so the result stays valid UTF-8). Same results as whole() on the text.
   */
  wholeBytes(buf: Buffer, start: number, end: number, style: MaskStyle, ruleName: string): string | Buffer {
    this.count(this.ruleKey(ruleName));
    if (style === "token") return tokenOf(this.mac(buf.subarray(start, end)));
    if (style === "redact") return "[REDACTED]";
    const out = Buffer.from(buf.subarray(start, end));
    let kept = 0;
    for (let i = out.length - 1; i >= 0; i--) {
      const c = out[i];
      if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122))) continue;
      if (kept < 4) kept++;
      else out[i] = 42; // '*'
    }
    return out;
  }

  /** Detector hits of bytes [start, end) (UTF-8) masked; null when there are none (nothing decoded then). */
  scanBytes(buf: Buffer, start: number, end: number): string | null {
    const found = this.candidates(featuresOfBytes(buf, start, end));
    if (!found) return null;
    return this.replace(buf.toString("utf8", start, end), found);
  }

  /** Detector hits of a text masked; null when there are none. */
  scanText(text: string): string | null {
    const found = this.candidates(featuresOfText(text));
    return found ? this.replace(text, found) : null;
  }

  /** scanText of characters [start, end) of a text, sliced out only when a detector could match there. */
  scanRange(text: string, start: number, end: number): string | null {
    const found = this.candidates(featuresOfText(text, start, end));
    return found ? this.replace(text.slice(start, end), found) : null;
  }

  /**
   * The detector hits in a text as spans, without masking or counting them (overlaps resolved as
   * scanText does: the longest first hit wins), for a caller that masks a value streamed in pieces.
   */
  hitsIn(text: string): Array<{ start: number; end: number; id: string }> {
    const found = this.candidates(featuresOfText(text));
    const out: Array<{ start: number; end: number; id: string }> = [];
    if (!found) return out;
    replaceEachHit(
      text,
      found,
      () => "",
      () => {},
      (start, end, id) => out.push({ start, end, id }),
    );
    return out;
  }

  /** What a detector hit becomes (in the connection's detector style), counted. */
  replaceHit(value: string, id: string): string {
    this.count(id);
    return this.styled(value, this.masking.detectorStyle, id);
  }

  /** The counts since the last call, or null when nothing was masked. */
  takeCounts(): MaskCounts | null {
    if (!this.counted) return null;
    const c = this.counts;
    this.counts = {};
    this.counted = false;
    return c;
  }

  /** The counts as they stand, to go back to (a pass whose result is thrown away must not count). */
  checkpoint(): { counts: MaskCounts; counted: boolean } {
    return { counts: { ...this.counts }, counted: this.counted };
  }

  rollback(c: { counts: MaskCounts; counted: boolean }): void {
    this.counts = { ...c.counts };
    this.counted = c.counted;
  }

  count(id: string, n = 1): void {
    this.counts[id] = (this.counts[id] ?? 0) + n;
    this.counted = true;
  }

  private candidates(features: number): Detector[] | null {
    let found = this.byFeatures[features];
    if (found === undefined) this.byFeatures[features] = found = candidates(this.masking.detectors, features);
    return found;
  }

  // The count key of a rule, built once (this runs for every masked value).
  private ruleKey(ruleName: string): string {
    let k = this.ruleKeys.get(ruleName);
    if (k === undefined) this.ruleKeys.set(ruleName, (k = `column:${ruleName}`));
    return k;
  }

  private replace(text: string, detectors: Detector[]): string | null {
    const style = this.masking.detectorStyle;
    return replaceEachHit(
      text,
      detectors,
      (value, id) => this.styled(value, style, id),
      (id) => this.count(id),
    );
  }

  private styled(value: string, style: MaskStyle, label?: string): string {
    if (style !== "token") return maskValue(value, style, this.key, label);
    let t = this.tokens.get(value);
    if (t === undefined) {
      if (this.tokens.size >= TOKEN_CACHE_MAX) this.tokens.clear();
      t = tokenOf(this.mac(Buffer.from(value, "utf8")));
      this.tokens.set(value, t);
    }
    return t;
  }
}
