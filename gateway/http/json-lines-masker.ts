import { Transform, type TransformCallback } from "node:stream";
import { maskJsonBytes } from "../../core/masking/json-masker";
import type { ValueMasker } from "../../core/masking/value-masker";

/**
 * Masks a stream of JSON documents, one a line (a Kubernetes watch, NDJSON, JSON Lines, JSON text
 * sequences), as each line completes: the whole document through the JSON masker, so path rules apply
 * to every event, not only the detectors. Nothing of a line is sent before it is complete (a document
 * cut across packets is never masked as a fragment); a line longer than `maxLineBytes`, or, when the
 * connection has path rules, a line that does not read as JSON (they could not be applied to it), ends
 * the stream with an error rather than pass unmasked. Without path rules such a line goes through the detectors.
 */
export class JsonLinesMasker extends Transform {
  private held: Buffer[] = [];
  private heldBytes = 0;

  constructor(
    private readonly masker: ValueMasker,
    private readonly maxLineBytes: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let from = 0;
    for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, from)) {
      this.held.push(chunk.subarray(from, nl + 1));
      const err = this.emitLine();
      if (err) return done(err);
      from = nl + 1;
    }
    if (from < chunk.length) {
      this.held.push(chunk.subarray(from));
      this.heldBytes += chunk.length - from;
      if (this.heldBytes > this.maxLineBytes) return done(new Error(`a JSON document in the stream is larger than the ${this.maxLineBytes} bytes the gateway masks whole`));
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    done(this.heldBytes ? this.emitLine() : undefined);
  }

  private emitLine(): Error | undefined {
    const line = Buffer.concat(this.held);
    this.held = [];
    this.heldBytes = 0;
    let notJson = false;
    const masked = maskJsonBytes(line, this.masker, () => (notJson = true));
    if (notJson && this.masker.masking.paths?.length) return new Error("a line of the response does not read as JSON, so this connection's JSON path rules cannot be applied to it");
    this.push(masked ?? line);
    return undefined;
  }
}
