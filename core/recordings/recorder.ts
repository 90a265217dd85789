import { eq, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { recordingChunks, recordings } from "../../drizzle/schema/index";

export type RecordingHeader = { width: number; height: number; title: string; env: Record<string, string> };
export type RecorderOptions = {
  /** Masks recorded output and input (the connection's detectors); identity when unmasked. */
  mask?: (text: string) => string;
  flushMs?: number;
  log?: (m: string) => void;
};

// Output is held until a line ends (or briefly), so a value split across packets is masked whole.
const OUTPUT_QUIET_MS = 30;
const OUTPUT_MAX_HOLD = 16_384;
// Events kept while the database is unreachable, before the oldest are dropped (with a log line).
const MAX_PENDING = 200_000;

/**
 * Records a terminal session as asciicast v2 into the shared database as it runs: the header row at
 * start, then a chunk of events at least every second, so a gateway crash loses at most the last
 * second. Protocol-agnostic: SSH and the browser terminal feed it output, input and resizes.
 */
export class Recorder {
  private readonly started = Date.now();
  private pending: string[] = [];
  private out = { text: "", at: 0 };
  private outTimer: NodeJS.Timeout | undefined;
  private seq = 0;
  private bytes = 0;
  private events = 0;
  private lastT = 0;
  private writing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  private constructor(
    private readonly db: Db,
    readonly sessionId: string,
    private readonly opts: RecorderOptions,
  ) {
    this.timer = setInterval(() => void this.flush(), opts.flushMs ?? 1000);
    this.timer.unref();
  }

  /** Writes the header row; throws when it cannot (the caller refuses the session: nothing unrecorded runs). */
  static async start(db: Db, sessionId: string, header: RecordingHeader, opts: RecorderOptions = {}): Promise<Recorder> {
    const r = new Recorder(db, sessionId, opts);
    try {
      await db.insert(recordings).values({ sessionId, width: header.width, height: header.height, startedAt: new Date(r.started), title: header.title, env: header.env });
    } catch (err) {
      clearInterval(r.timer);
      throw err;
    }
    return r;
  }

  output(text: string): void {
    if (this.closed || !text) return;
    if (!this.out.text) this.out.at = this.now();
    this.out.text += text;
    if (text.endsWith("\n") || this.out.text.length >= OUTPUT_MAX_HOLD) return this.emitOutput();
    this.outTimer ??= setTimeout(() => this.emitOutput(), OUTPUT_QUIET_MS);
  }

  input(text: string): void {
    if (this.closed || !text) return;
    this.emitOutput();
    this.push(this.now(), "i", this.mask(text));
  }

  resize(width: number, height: number): void {
    if (this.closed) return;
    this.emitOutput();
    this.push(this.now(), "r", `${width}x${height}`);
  }

  /** Flushes what is left and marks the recording ended. */
  async close(): Promise<void> {
    if (this.closed) return this.writing;
    this.emitOutput();
    this.closed = true;
    clearInterval(this.timer);
    await this.flush(true);
  }

  private emitOutput(): void {
    if (this.outTimer) clearTimeout(this.outTimer);
    this.outTimer = undefined;
    if (!this.out.text) return;
    const text = this.mask(this.out.text);
    this.bytes += Buffer.byteLength(text);
    this.push(this.out.at, "o", text);
    this.out = { text: "", at: 0 };
  }

  private push(t: number, code: "o" | "i" | "r", data: string): void {
    // asciicast times never go backwards.
    this.lastT = Math.max(this.lastT, t);
    this.pending.push(JSON.stringify([Number(this.lastT.toFixed(6)), code, data]));
    this.events++;
    if (this.pending.length > MAX_PENDING) {
      this.pending.splice(0, this.pending.length - MAX_PENDING);
      this.opts.log?.(`recording ${this.sessionId}: the database is unreachable; the oldest unsaved events were dropped`);
    }
  }

  private mask(text: string): string {
    return this.opts.mask ? this.opts.mask(text) : text;
  }

  private now(): number {
    return (Date.now() - this.started) / 1000;
  }

  private flush(final = false): Promise<void> {
    this.writing = this.writing.then(async () => {
      const lines = this.pending;
      if (!lines.length && !final) return;
      this.pending = [];
      try {
        await this.db.transaction(async (tx) => {
          if (lines.length) await tx.insert(recordingChunks).values({ sessionId: this.sessionId, seq: this.seq, data: lines.join("\n"), until: Math.round(this.lastT * 1000) });
          await tx
            .update(recordings)
            .set({ bytes: this.bytes, events: this.events, ...(final ? { endedAt: sql`now()` } : {}) })
            .where(eq(recordings.sessionId, this.sessionId));
        });
        if (lines.length) this.seq++;
      } catch (err) {
        // Kept for the next flush: a database blip loses nothing.
        this.pending = lines.concat(this.pending);
        this.opts.log?.(`recording ${this.sessionId}: could not save (${(err as Error).message}); will retry`);
      }
    });
    return this.writing;
  }
}
