import { StringDecoder } from "node:string_decoder";
import { Transform, type TransformCallback } from "node:stream";
import type { ValueMasker } from "../../core/masking/value-masker";
import { jsonStringValues } from "../../core/masking/json-strings";

/** How much of a streamed value is held back so a sensitive value split across events is seen whole. */
export const SSE_HOLD_CHARS = 256;
/** A stream quiet for this long releases what it holds (a slow stream is not delayed longer). */
export const SSE_QUIET_MS = 300;

/** One piece of a streamed value: a string in one event's JSON data (or the whole data when it is not JSON). */
type Piece = { value: string; out: string | null };
type HeldEvent = { lines: string[]; sep: string; data: string | null; json: boolean; literals: Array<{ start: number; end: number; piece: Piece }> };
/** The pieces of one field (`choices.0.delta.content`) not yet released, their text, and the field's last value. */
type Run = { pieces: Piece[]; text: string; last: string | null; varied: boolean };

/**
 * Masks a Server-Sent Events stream across events: a model that streams a token an event sends an
 * e-mail address as `bob`, `@example`, `.org`, three events no detector sees whole one by one. Each
 * string value of an event's JSON data (or the data itself, when it is not JSON) continues the text of
 * the same field in the events before it; the detectors read that text, and an event is sent on once
 * SSE_HOLD_CHARS more of each of its fields has arrived behind it (or the stream was quiet for
 * SSE_QUIET_MS, or ended). A hit spanning events is replaced in the event where it starts; the rest of
 * it is removed from the others. Every line then also goes through the detectors on its own, as
 * before (keys, numbers, comments). Events stay in order, and each stays one event.
 */
export class SseMasker extends Transform {
  private readonly decoder = new StringDecoder("utf8");
  private text = "";
  private readonly queue: HeldEvent[] = [];
  private readonly runs = new Map<string, Run>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly masker: ValueMasker,
    private readonly holdChars = SSE_HOLD_CHARS,
    private readonly quietMs = SSE_QUIET_MS,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.text += this.decoder.write(chunk);
    for (let m = /\r?\n\r?\n/.exec(this.text); m; m = /\r?\n\r?\n/.exec(this.text)) {
      this.hold(this.text.slice(0, m.index), m[0]);
      this.text = this.text.slice(m.index + m[0].length);
    }
    this.release(false);
    if (this.timer) clearTimeout(this.timer);
    this.timer = this.queue.length || this.text ? setTimeout(() => this.release(true), this.quietMs) : undefined;
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.timer) clearTimeout(this.timer);
    this.text += this.decoder.end();
    if (this.text) this.hold(this.text, "");
    this.text = "";
    this.release(true);
    done();
  }

  override _destroy(err: Error | null, done: (err: Error | null) => void): void {
    if (this.timer) clearTimeout(this.timer);
    done(err);
  }

  private hold(eventText: string, sep: string): void {
    const lines = eventText.split(/\r?\n/);
    const dataLines = lines.filter((l) => l.startsWith("data:")).map((l) => l.slice(l.startsWith("data: ") ? 6 : 5));
    const data = dataLines.length ? dataLines.join("\n") : null;
    const event: HeldEvent = { lines, sep, data, json: false, literals: [] };
    const strings = data === null ? [] : jsonStringValues(data);
    if (data !== null && strings === null) event.literals.push({ start: 0, end: data.length, piece: this.feed("", data) });
    else if (strings) {
      event.json = true;
      for (const s of strings) event.literals.push({ start: s.start, end: s.end, piece: this.feed(s.path, s.value) });
    }
    this.queue.push(event);
  }

  private feed(path: string, value: string): Piece {
    let run = this.runs.get(path);
    if (!run) this.runs.set(path, (run = { pieces: [], text: "", last: null, varied: false }));
    // A field that has only ever repeated one value (an id, the model's name, an object type) does not
    // stream text: it is masked on its own and holds nothing back. Once a field's value has changed, it
    // streams for good (a repeated token, " 1111" of a card number, must not release the rest early).
    const repeatsOnly = !run.varied && run.last === value;
    if (run.last !== null && run.last !== value) run.varied = true;
    run.last = value;
    if (repeatsOnly) {
      this.settle(run, true);
      return { value, out: this.masker.scanText(value) ?? value };
    }
    const piece: Piece = { value, out: null };
    run.pieces.push(piece);
    run.text += value;
    return piece;
  }

  /** Settles what each field can release, then sends the events whose pieces are all settled, in order. */
  private release(all: boolean): void {
    for (const run of this.runs.values()) this.settle(run, all);
    while (this.queue.length && this.queue[0].literals.every((l) => l.piece.out !== null)) this.push(this.render(this.queue.shift()!));
    if (all && this.text === "") {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** Masks the run's pieces that lie wholly before the hold window (no hit crossing the cut), and drops them from the run. */
  private settle(run: Run, all: boolean): void {
    if (run.pieces.length === 0) return;
    const hits = this.masker.hitsIn(run.text);
    const limit = all ? run.text.length : run.text.length - this.holdChars;
    // The last piece boundary at or before the limit that no hit crosses.
    let cut = 0;
    let count = 0;
    for (let at = 0, k = 0; k < run.pieces.length; k++) {
      at += run.pieces[k].value.length;
      if (at > limit) break;
      if (hits.some((h) => h.start < at && h.end > at)) continue;
      cut = at;
      count = k + 1;
    }
    if (count === 0) return;
    let at = 0;
    for (const piece of run.pieces.slice(0, count)) {
      const from = at;
      const to = at + piece.value.length;
      let out = "";
      let i = from;
      for (const h of hits) {
        if (h.end <= from || h.start >= to) continue;
        if (h.start >= from) out += run.text.slice(i, h.start) + this.masker.replaceHit(run.text.slice(h.start, h.end), h.id);
        i = Math.min(h.end, to);
      }
      piece.out = out + run.text.slice(i, to);
      at = to;
    }
    run.pieces.splice(0, count);
    run.text = run.text.slice(cut);
  }

  private render(e: HeldEvent): string {
    let lines = e.lines;
    if (e.data !== null) {
      let data = e.data;
      if (e.json) for (const l of [...e.literals].reverse()) data = data.slice(0, l.start) + JSON.stringify(l.piece.out) + data.slice(l.end);
      else data = e.literals[0].piece.out!;
      // The data lines in place of the first one, the other fields where they were.
      const first = lines.findIndex((l) => l.startsWith("data:"));
      const others = lines.filter((l, i) => i < first || !l.startsWith("data:"));
      const dataOut = data.split("\n").map((d) => `data: ${d}`);
      lines = [...others.slice(0, first), ...dataOut, ...others.slice(first)];
    }
    return lines.map((l) => this.masker.scanText(l) ?? l).join("\n") + (e.sep || "");
  }
}
