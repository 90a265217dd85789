import { Transform, type TransformCallback } from "node:stream";

/**
 * Cuts every form of the injected credential out of a byte stream (a response that echoes request
 * headers or the URL): each occurrence becomes as many `*`, so lengths (and Content-Length) stay
 * right. Only a tail that could be the start of a form is held back until the next chunk, so a
 * stream of events (SSE) is not delayed.
 */
export class SecretRedactor extends Transform {
  private readonly forms: Buffer[];
  private held: Buffer = Buffer.alloc(0);
  /** How many occurrences were cut. */
  found = 0;

  constructor(forms: readonly string[]) {
    super();
    this.forms = forms.map((f) => Buffer.from(f, "utf8")).filter((f) => f.length > 0);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    // Overwritten in place: a chunk read from a socket (or a decoder: its output chunks never overlap) is this stream's alone, and a
    // copy of every chunk was a tenth of the gateway's CPU on a large response.
    const buf = this.held.length ? Buffer.concat([this.held, chunk]) : chunk;
    this.found += redactInPlace(buf, this.forms);
    const keep = heldTail(buf, this.forms);
    this.held = keep ? Buffer.from(buf.subarray(buf.length - keep)) : Buffer.alloc(0);
    if (buf.length - keep > 0) this.push(buf.subarray(0, buf.length - keep));
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.held.length) this.push(this.held);
    done();
  }
}

/** Overwrites every occurrence of each form with `*`; returns how many. */
export function redactInPlace(buf: Buffer, forms: readonly Buffer[]): number {
  let n = 0;
  for (const f of forms) {
    for (let i = buf.indexOf(f); i >= 0; i = buf.indexOf(f, i + f.length)) {
      buf.fill(42, i, i + f.length);
      n++;
    }
  }
  return n;
}

/** The length of the longest suffix of `buf` that is a proper prefix of a form (0: nothing to hold). */
function heldTail(buf: Buffer, forms: readonly Buffer[]): number {
  let best = 0;
  for (const f of forms) {
    for (let k = Math.min(f.length - 1, buf.length); k > best; k--) {
      if (buf.compare(f, 0, k, buf.length - k, buf.length) === 0) {
        best = k;
        break;
      }
    }
  }
  return best;
}
