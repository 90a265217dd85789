import { Transform, type TransformCallback } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { JSON_PREFIX, JsonPass } from "../../core/masking/json-masker";
import { TextOut } from "../../core/masking/json-masked-out";
import { StreamTextMasker } from "../../core/masking/stream-text-masker";
import type { ValueMasker } from "../../core/masking/value-masker";

/** How much of a document's start is read before its prefix (a byte-order mark, `)]}'`, `while(1);`) is judged. */
const PREFIX_CHARS = 16;

/**
 * A JSON response larger than the connection buffers, masked as it streams: the same pass as a whole
 * body (core/masking/json-masker.ts), path rules and detectors, read piece by piece with what it knows
 * of the document kept between pieces; a token cut at a piece's end (a string, a number) waits for the
 * rest, so every value is judged whole. Memory stays flat but for one value: a single value longer
 * than `maxValueChars` ends the stream with an error rather than pass unmasked. A body that stops
 * reading as JSON is scanned by the detectors from there on, or, when the connection has path rules
 * (which could not be applied to the rest), ends with an error: the client's response is cut off.
 */
export class JsonStreamMasker extends Transform {
  private readonly decoder = new StringDecoder("utf8");
  private readonly pass: JsonPass;
  private pending = "";
  private started = false;
  private charsRead = 0;
  /** Set once the body stopped reading as JSON (no path rules): the rest goes through the detectors as text. */
  private text: StreamTextMasker | null = null;

  constructor(
    private readonly masker: ValueMasker,
    private readonly maxValueChars: number,
  ) {
    super();
    this.pass = new JsonPass(masker);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.text) return (this.text.push(chunk), done());
    done(this.step(this.decoder.write(chunk), false));
  }

  override _flush(done: TransformCallback): void {
    const err = this.text ? undefined : this.step(this.decoder.end(), true);
    this.text?.flush();
    done(err);
  }

  /** Masks what can be read of the document so far and pushes it; an error when it cannot go on. */
  private step(more: string, final: boolean): Error | undefined {
    const text = this.pending + more;
    let from = 0;
    if (!this.started) {
      if (text.length < PREFIX_CHARS && !final) return void (this.pending = text);
      from = JSON_PREFIX.exec(text)![0].length;
      this.started = true;
    }
    const out = new TextOut(text);
    const stop = this.pass.run(text, from, out, final);
    if (stop < 0) return this.notJson(text);
    if (text.length - stop > this.maxValueChars) return new Error(`a value in the JSON response is longer than the ${this.maxValueChars} bytes the gateway masks whole`);
    this.charsRead += stop;
    this.pending = text.slice(stop);
    if (stop > 0) this.push(out.finish(stop), "utf8");
    return undefined;
  }

  private notJson(text: string): Error | undefined {
    if (this.masker.masking.paths?.length)
      return new Error(`the response stopped reading as JSON (after about ${this.charsRead} characters), so this connection's JSON path rules cannot be applied to the rest`);
    // What this piece held is scanned as text from its start, as all that follows (what went before was masked as JSON).
    this.pending = "";
    this.text = new StreamTextMasker(
      (t) => this.masker.scanText(t),
      (b) => this.push(b),
    );
    this.text.push(Buffer.from(text, "utf8"));
    return undefined;
  }
}
