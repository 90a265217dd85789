import { isAlnum } from "./mask-text";

/** Shapes the gateway writes in place of values: a redaction marker, a token, a run of four or more `*`. */
export const MASKED_SHAPE = /\[REDACTED(?::[a-z0-9-]+)?\]|\btok_[a-z2-7]{16}\b|\*{4,}/;

// What a MASKED_SHAPE match can span across two pieces of a streamed value: a marker with its detector's name, a token.
const CARRY = 64;

/**
 * Whether a value, read piece by piece (a parameter sent in chunks), is or holds what the gateway
 * writes in place of values: a MASKED_SHAPE anywhere in it, or as a whole a partial mask. A partial
 * mask (mask-text.ts) turns every ASCII letter and digit but the last four into `*` and keeps the
 * rest: `ZX-4471-QQ` is shown as `**-**71-QQ`, whose run of stars is too short for MASKED_SHAPE. Its
 * letters, digits and stars read as one or more `*` and then exactly four letters or digits.
 */
export class MaskedShapeScan {
  private found = false;
  private carry = "";
  private stars = 0;
  private kept = 0;
  private partial = true;

  push(text: string): void {
    if (!this.found) {
      const joined = this.carry + text;
      this.found = MASKED_SHAPE.test(joined);
      this.carry = joined.slice(-CARRY);
    }
    for (let i = 0; i < text.length && this.partial; i++) {
      const c = text.charCodeAt(i);
      if (c === 42 /* * */) this.partial = this.kept === 0 && ++this.stars > 0;
      else if (isAlnum(c)) this.partial = this.stars > 0 && ++this.kept <= 4;
    }
  }

  /** A marker, a token or a run of stars somewhere in what was pushed (what a text of many values can be judged by). */
  get holds(): boolean {
    return this.found;
  }

  /** `holds`, or what was pushed is, as a whole value, a partial mask. */
  get masked(): boolean {
    return this.found || (this.partial && this.stars > 0 && this.kept === 4);
  }
}

/** Whether a whole value is, or holds, a masked stand-in (see MaskedShapeScan): writing it into a masked column would store the placeholder. */
export function looksMasked(value: string): boolean {
  const scan = new MaskedShapeScan();
  scan.push(value);
  return scan.masked;
}
