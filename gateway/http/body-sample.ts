import { isUtf8 } from "node:buffer";

/** A body as an audit event keeps it (a connection's `storeBodyBytes`): the first bytes, as text when it is text. */
export type StoredBody = { bytes: number; truncated: boolean; contentType: string | null; text?: string; binary?: true };

const TEXTUAL = /^(?:text\/|application\/(?:(?:[\w.+-]+\+)?(?:json|xml|yaml)|javascript|x-www-form-urlencoded|x-ndjson|graphql)\b)/i;

/**
 * The first `limit` bytes of a body as it passes (up to the limit, nothing more is held), for the
 * audit event of its request. Fed what went to the upstream, or what the client was sent: a masked
 * response is kept masked, and the credential cut out of it stays cut.
 */
export class BodySample {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  /** Every byte seen, kept or not. */
  bytes = 0;

  constructor(private readonly limit: number) {}

  add(chunk: Buffer): void {
    this.bytes += chunk.length;
    const room = this.limit - this.kept;
    if (room <= 0) return;
    // A copy: the chunk may be overwritten in place later (the credential redactor) or pooled.
    const part = Buffer.from(chunk.subarray(0, room));
    this.chunks.push(part);
    this.kept += part.length;
  }

  /**
   * The sample for the audit event: text (the session's audit mask applied: detector hits masked)
   * when the content type is textual or unnamed and the bytes are UTF-8 (a multi-byte character
   * cut at the limit is dropped); else only its size. Null when there was no body.
   */
  stored(contentType: string | undefined, mask: ((text: string) => string) | undefined): StoredBody | null {
    if (this.bytes === 0) return null;
    const type = contentType?.split(";")[0].trim().toLowerCase() || null;
    const truncated = this.bytes > this.kept;
    let kept = Buffer.concat(this.chunks, this.kept);
    if (truncated) kept = kept.subarray(0, utf8Boundary(kept));
    const textual = type === null || TEXTUAL.test(type);
    if (!textual || !isUtf8(kept)) return { bytes: this.bytes, truncated, contentType: type, binary: true };
    const text = kept.toString("utf8");
    return { bytes: this.bytes, truncated, contentType: type, text: mask ? mask(text) : text };
  }
}

/** The length of `b` without a multi-byte UTF-8 character cut off at its end. */
function utf8Boundary(b: Buffer): number {
  let i = b.length;
  let back = 0;
  while (i > 0 && back < 4 && (b[i - 1] & 0xc0) === 0x80) {
    i--;
    back++;
  }
  if (i === 0) return b.length;
  const lead = b[i - 1];
  const need = lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : lead >= 0xc0 ? 1 : 0;
  return need > back ? i - 1 : b.length;
}
