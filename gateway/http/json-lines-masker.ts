import { Transform, type TransformCallback } from "node:stream";
import { maskJsonText } from "../../core/masking/json-masker";
import type { ValueMasker } from "../../core/masking/value-masker";

/**
 * Masks a stream of JSON documents, one a line (a Kubernetes watch, NDJSON), as each line completes:
 * the whole document through the JSON masker, so path rules apply to every event, not only the
 * detectors. Nothing of a line is sent before it is complete (a document cut across packets is
 * never masked as a fragment); a line longer than `maxLineBytes` ends the stream with an error
 * rather than pass unmasked.
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
      this.emitLine();
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
    if (this.heldBytes) this.emitLine();
    done();
  }

  private emitLine(): void {
    const line = Buffer.concat(this.held).toString("utf8");
    this.held = [];
    this.heldBytes = 0;
    const masked = maskJsonText(line, this.masker);
    this.push(masked === null ? line : masked, "utf8");
  }
}
