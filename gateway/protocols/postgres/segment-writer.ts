import type { Writable } from "node:stream";

/**
 * Hands out consecutive pieces of a large buffer, so that rewritten messages that follow each
 * other sit side by side in memory and leave as one write (SegmentWriter merges them). A slab is
 * never reused: a piece stays valid for as long as a pending write holds it.
 */
export class OutputSlab {
  private slab = Buffer.allocUnsafeSlow(0);
  private used = 0;

  constructor(private readonly size = 64 * 1024) {}

  alloc(n: number): Buffer {
    if (this.used + n > this.slab.length) {
      if (n > this.size / 4) return Buffer.allocUnsafe(n);
      this.slab = Buffer.allocUnsafeSlow(this.size);
      this.used = 0;
    }
    const piece = this.slab.subarray(this.used, this.used + n);
    this.used += n;
    return piece;
  }
}

/**
 * Collects the byte ranges a relay decided to forward and writes them as few writes as possible:
 * neighbouring ranges of the same chunk merge back into one view, so untouched traffic goes out
 * as it came in, without copying. Returns write()'s backpressure signal.
 */
export class SegmentWriter {
  private bufs: Buffer[] = [];
  private starts: number[] = [];
  private ends: number[] = [];

  add(buf: Buffer, start: number, end: number): void {
    const last = this.bufs.length - 1;
    if (last >= 0 && this.bufs[last] === buf && this.ends[last] === start) {
      this.ends[last] = end;
      return;
    }
    // Rewritten messages carved one after another from one slab (see OutputSlab) merge too.
    if (last >= 0 && this.bufs[last].buffer === buf.buffer && this.bufs[last].byteOffset + this.ends[last] === buf.byteOffset + start) {
      const prev = this.bufs[last];
      this.bufs[last] = Buffer.from(prev.buffer, prev.byteOffset, this.ends[last] + (end - start));
      this.ends[last] += end - start;
      return;
    }
    this.bufs.push(buf);
    this.starts.push(start);
    this.ends.push(end);
  }

  /** Writes everything collected; false when the destination asked us to slow down. */
  flushTo(out: Writable): boolean {
    const n = this.bufs.length;
    if (n === 0) return true;
    let ok: boolean;
    if (n === 1) ok = out.write(this.view(0));
    else {
      const parts = new Array<Buffer>(n);
      let total = 0;
      for (let i = 0; i < n; i++) {
        parts[i] = this.view(i);
        total += parts[i].length;
      }
      // Small pieces: one copy into one packet. Large ones: a corked writev, no copy.
      if (total <= 16384) ok = out.write(Buffer.concat(parts, total));
      else {
        out.cork();
        ok = true;
        for (const p of parts) ok = out.write(p) && ok;
        out.uncork();
      }
    }
    this.bufs = [];
    this.starts = [];
    this.ends = [];
    return ok;
  }

  private view(i: number): Buffer {
    const b = this.bufs[i];
    return this.starts[i] === 0 && this.ends[i] === b.length ? b : b.subarray(this.starts[i], this.ends[i]);
  }
}
