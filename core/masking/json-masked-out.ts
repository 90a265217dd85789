import { isAlnum } from "./mask-text";

// Where a JSON pass (json-masker.ts) writes the masked document: a text, or the bytes of an ASCII body.

/**
 * Where the pass writes the masked document: characters [from, to) of the input become a JSON string
 * of `value`, edits in order. `partial`, when the output has it: the string literal [from, to) (no
 * escapes) written with a partial mask (mask-text.ts's `partial`) straight from the input.
 */
export type MaskedOut = { edit(from: number, to: number, value: string): void; partial?: (from: number, to: number) => void };

/** The masked document as a text (concatenated, not joined: V8 links the pieces and flattens them once). */
export class TextOut implements MaskedOut {
  private out = "";
  private last = 0;
  constructor(private readonly text: string) {}
  edit(from: number, to: number, value: string): void {
    this.out += this.text.slice(this.last, from);
    this.out += jsonString(value);
    this.last = to;
  }
  /** The masked text up to `to` (all of it by default). */
  finish(to = this.text.length): string {
    return this.out + this.text.slice(this.last, to);
  }
}

/** The masked document as bytes, for an ASCII body (character offsets are byte offsets): written into one buffer that grows when a replacement is longer than what it replaces. */
export class BytesOut implements MaskedOut {
  private out: Buffer;
  private pos = 0;
  private last = 0;
  constructor(private readonly body: Buffer) {
    this.out = Buffer.allocUnsafe(body.length + 4096);
  }
  edit(from: number, to: number, value: string): void {
    // The stretch before, and the quoted value at its largest (3 bytes a UTF-16 unit, or 6 for an escape).
    this.reserve(from - this.last + 6 * value.length + 2);
    this.pos = copyBytes(this.body, this.out, this.pos, this.last, from);
    this.pos = writeJsonString(this.out, this.pos, value);
    this.last = to;
  }
  /**
   * A string literal [from, to) of the body, partially masked byte by byte (every letter or digit but
   * the last 4 becomes `*`, as mask-text.ts's `partial` does; the body is ASCII, so one byte is one
   * character): the names and numbers a path rule covers, without a string made of each and encoded again.
   */
  partial(from: number, to: number): void {
    this.reserve(to - this.last);
    this.pos = copyBytes(this.body, this.out, this.pos, this.last, from);
    const { body, out } = this;
    let keepFrom = to - 1;
    for (let kept = 0; keepFrom > from + 1 && kept < 4;) if (isAlnum(body[--keepFrom])) kept++;
    let pos = this.pos;
    for (let j = from; j < keepFrom; j++) {
      const c = body[j];
      out[pos++] = isAlnum(c) ? 42 : c;
    }
    this.pos = copyBytes(body, out, pos, keepFrom, to);
    this.last = to;
  }
  finish(): Buffer {
    this.reserve(this.body.length - this.last);
    this.pos = copyBytes(this.body, this.out, this.pos, this.last, this.body.length);
    return this.out.subarray(0, this.pos);
  }
  private reserve(n: number): void {
    if (this.pos + n <= this.out.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.pos + n + (this.body.length - this.last)));
    this.out.copy(bigger, 0, 0, this.pos);
    this.out = bigger;
  }
}

/** Copies bytes [from, to) of src to out at pos; returns the position after them. A short stretch (most between two edits) is copied byte by byte: cheaper than a call into C++. */
function copyBytes(src: Buffer, out: Buffer, pos: number, from: number, to: number): number {
  if (to - from > 64) return pos + src.copy(out, pos, from, to);
  for (let j = from; j < to; j++) out[pos++] = src[j];
  return pos;
}

/**
 * Writes a text as a JSON string literal in UTF-8 at `pos`; returns the position after it. Byte by
 * byte while it is printable ASCII that needs no escape (masked values almost always are: cheaper
 * than a call into C++ for a short value), else JSON.stringify and one write.
 */
function writeJsonString(out: Buffer, pos: number, s: string): number {
  out[pos] = 34;
  for (let j = 0; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c < 32 || c === 34 || c === 92 || c >= 0x80) return pos + out.write(JSON.stringify(s), pos, "utf8");
    out[pos + 1 + j] = c;
  }
  out[pos + 1 + s.length] = 34;
  return pos + s.length + 2;
}

/**
 * A text as a JSON string literal: quoted as it is when nothing in it needs escaping (masked values
 * rarely do), else by JSON.stringify (which costs more than the whole scan for a short text).
 */
function jsonString(s: string): string {
  for (let j = 0; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c < 32 || c === 34 || c === 92 || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s);
  }
  return `"${s}"`;
}
