import { StringDecoder } from "node:string_decoder";
import { Transform, type TransformCallback } from "node:stream";
import type { ValueMasker } from "../../core/masking/value-masker";
import { jsonStringValues } from "../../core/masking/json-strings";
import { maskJsonText } from "../../core/masking/json-masker";
import { isAlnum } from "../../core/masking/mask-text";

/** How much of a streamed value is held back so a sensitive value split across events is seen whole. */
export const SSE_HOLD_CHARS = 256;
/** A stream quiet for this long releases what it holds (a slow stream is not delayed longer). */
export const SSE_QUIET_MS = 300;

/** One piece of a streamed value: a string in one event's JSON data (or the whole data when it is not JSON). */
type Piece = { value: string; out: string | null };
type HeldEvent = { lines: string[]; sep: string; data: string | null; json: boolean; literals: Array<{ start: number; end: number; piece: Piece }> };
/**
 * Whether character `i` may belong to the word of a hit beside it, reading away from the hit (`dir` -1:
 * before it, 1: after it): a letter, digit or one of `_%+@-`, or a dot with a letter or digit beyond it
 * (`x.io`, not the full stop after an address).
 */
function wordish(t: string, i: number, dir: -1 | 1): boolean {
  const c = t.charCodeAt(i);
  if (c === 46) return isAlnum(t.charCodeAt(i + dir));
  return isAlnum(c) || c === 95 || c === 37 || c === 43 || c === 64 || c === 45;
}

/**
 * A hit in a piece, [start, end) of its value: `text` the whole hit's, `starts` whether it begins in
 * this piece; `hit`, for a hit in the run's joined text, whether its replacement has been shown.
 */
type MaskedSpan = { start: number; end: number; id: string; text: string; starts: boolean; hit: { shown: boolean } | null };
/** The pieces of one field (`choices.0.delta.content`) not yet released, their text, and the field's last value. */
type Run = { pieces: Piece[]; text: string; last: string | null; varied: boolean };

/**
 * Masks a Server-Sent Events stream across events: a model that streams a token an event sends an
 * e-mail address as `bob`, `@example`, `.org`, three events no detector sees whole one by one. Each
 * string value of an event's JSON data (or the data itself, when it is not JSON) continues the text of
 * the same field in the events before it; the detectors read that text, and an event is sent on once
 * SSE_HOLD_CHARS more of each of its fields has arrived behind it (or the stream was quiet for
 * SSE_QUIET_MS, or ended). A hit spanning events is replaced in the event where it starts; the rest of
 * it is removed from the others. An event's JSON data then goes through the JSON masker whole (keys,
 * numbers, path rules: it stays JSON), and every other line through the detectors on its own (comments, ids). Events stay in order, and each stays one event.
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
    const t = run.text;
    const found = this.masker.hitsIn(t);
    const limit = all ? t.length : t.length - this.holdChars;
    // The last piece boundary at or before the limit that no hit crosses.
    let cut = 0;
    let count = 0;
    for (let at = 0, k = 0; k < run.pieces.length; k++) {
      at += run.pieces[k].value.length;
      if (at > limit) break;
      if (found.some((h) => h.start < at && h.end > at)) continue;
      cut = at;
      count = k + 1;
    }
    if (count === 0) return;
    // Each hit with the rest of the word it begins and ends in (letters, digits, `_%+@-`, a dot inside a word),
    // within what is settled now: values joined with nothing between can make a hit begin late or end early
    // (`x@a.com` then `y@b.c`, `om`: the second address reads as beginning inside the first), which must not
    // leave the start or the end of an address plain. (Widened hits do not decide the cut: glued values would
    // chain them across every piece, and the stream would be held until it paused.) `text`, the hit's own (its
    // token); `shown`, whether its replacement has gone out (in the piece it begins in).
    const hits = found
      .filter((h) => h.start < cut)
      .map((h) => {
        let start = h.start;
        while (start > 0 && wordish(t, start - 1, -1)) start--;
        let end = h.end;
        while (end < cut && wordish(t, end, 1)) end++;
        return { start, end, id: h.id, text: t.slice(h.start, h.end), shown: false };
      });
    let at = 0;
    for (const piece of run.pieces.slice(0, count)) {
      const from = at;
      const to = at + piece.value.length;
      // The piece's own hits (a whole value: an e-mail field, an event each), and the run's that reach into it.
      // Both are needed: values joined end to end read differently (`a@x.comb@y.com` holds one address that
      // begins inside the first and ends in the second), and a value split across events is found only joined.
      const spans: MaskedSpan[] = this.masker.hitsIn(piece.value).map((h) => ({ ...h, text: piece.value.slice(h.start, h.end), starts: true, hit: null }));
      for (const h of hits)
        if (h.end > from && h.start < to) spans.push({ start: Math.max(h.start, from) - from, end: Math.min(h.end, to) - from, id: h.id, text: h.text, starts: h.start >= from, hit: h });
      piece.out = spans.length ? this.masked(piece.value, spans) : piece.value;
      at = to;
    }
    run.pieces.splice(0, count);
    run.text = run.text.slice(cut);
  }

  /**
   * A piece with every character of its spans taken out: each stretch that spans cover (overlapping
   * ones merged) becomes the replacement of the first span in it that starts in this piece, or nothing
   * when it begins with the rest of a hit whose replacement an earlier event shows. The rest of a run's
   * hit whose replacement was not shown (it began inside a value's own hit, which showed its own) takes
   * its characters out and leaves the value hits in it to show theirs.
   */
  private masked(value: string, spans: MaskedSpan[]): string {
    // By start; at one start, the rest of an earlier hit first, then the value's own hit (its replacement stands
    // for a joined one beginning there too), then the longer.
    spans.sort((a, b) => a.start - b.start || Number(a.starts) - Number(b.starts) || Number(a.hit !== null) - Number(b.hit !== null) || b.end - a.end);
    let out = "";
    let i = 0;
    let marked = false;
    for (const sp of spans) {
      if (sp.start >= i) {
        out += value.slice(i, sp.start);
        i = sp.start;
        marked = false;
      }
      if (!sp.starts && sp.hit?.shown) marked = true;
      if (sp.starts && !marked) {
        out += this.masker.replaceHit(sp.text, sp.id);
        marked = true;
        if (sp.hit) sp.hit.shown = true;
      }
      if (sp.end > i) i = sp.end;
    }
    return out + value.slice(i);
  }

  private render(e: HeldEvent): string {
    let lines = e.lines;
    if (e.data !== null) {
      let data = e.data;
      if (e.json) {
        for (const l of [...e.literals].reverse()) data = data.slice(0, l.start) + JSON.stringify(l.piece.out) + data.slice(l.end);
        // The rest of the document (keys, numbers; and values under path rules) through the JSON masker: a number a
        // detector matches becomes a JSON string there, so the data stays JSON (scanned as a line, a 13-digit
        // timestamp that passes the card check came out as a bare marker, and the client could not parse the event).
        data = maskJsonText(data, this.masker) ?? data;
      } else data = e.literals[0].piece.out!;
      // The data lines in place of the first one, the other fields where they were.
      const first = lines.findIndex((l) => l.startsWith("data:"));
      const others = lines.filter((l, i) => i < first || !l.startsWith("data:"));
      const dataOut = data.split("\n").map((d) => `data: ${d}`);
      lines = [...others.slice(0, first), ...dataOut, ...others.slice(first)];
    }
    // Every other line through the detectors on its own (JSON data lines have been masked as JSON above).
    return lines.map((l) => (e.json && l.startsWith("data:") ? l : (this.masker.scanText(l) ?? l))).join("\n") + (e.sep || "");
  }
}
