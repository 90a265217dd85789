const EMPTY = Buffer.alloc(0);
const MAX_HOLD = 4096;
const HOLD_MS = 20;

/**
 * Masks detector hits in a byte stream as it passes (a command's stdout, a terminal's output),
 * protocol-agnostic. Bytes other than the hits are passed through unchanged (a latin1 round trip, so
 * binary and UTF-8 output survive); an unfinished line is held back (at most 4 KiB, at most 20 ms) so
 * a value split across packets is still seen whole.
 */
export class StreamTextMasker {
  private held: Buffer = EMPTY;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly scan: (text: string) => string | null,
    private readonly emit: (b: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    const buf = this.held.length ? Buffer.concat([this.held, chunk]) : chunk;
    let cut = buf.lastIndexOf(0x0a) + 1;
    if (buf.length - cut > MAX_HOLD) cut = buf.length;
    if (cut > 0) this.emit(this.mask(buf.subarray(0, cut)));
    this.held = cut < buf.length ? Buffer.from(buf.subarray(cut)) : EMPTY;
    if (this.timer) clearTimeout(this.timer);
    this.timer = this.held.length ? setTimeout(() => this.flush(), HOLD_MS) : undefined;
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.held.length) return;
    const b = this.held;
    this.held = EMPTY;
    this.emit(this.mask(b));
  }

  private mask(b: Buffer): Buffer {
    const masked = this.scan(b.toString("latin1"));
    return masked === null ? b : Buffer.from(masked, "latin1");
  }
}
