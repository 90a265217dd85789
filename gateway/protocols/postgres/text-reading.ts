import type { BackendFilter } from "./guard-types";
import { Backend } from "./message-codes";
import type { PgError } from "./pg-error";
import { AMBIGUOUS_TEXT, ClientEncoding } from "./client-encoding";
import { ConformingStrings, NONCONFORMING_TEXT } from "./conforming-strings";

/**
 * How the target will read this session's SQL texts, as far as it may differ from how the gateway
 * reads them (UTF-8, standard_conforming_strings on): the session's client_encoding
 * (client-encoding.ts) and standard_conforming_strings (conforming-strings.ts), followed from the
 * settings the target reports (one watcher of ParameterStatus and ReadyForQuery for both).
 */
export class TextReading {
  private readonly encoding: ClientEncoding;
  private readonly strings: ConformingStrings;

  constructor(parameters: ReadonlyMap<string, string>) {
    this.encoding = new ClientEncoding(parameters.get("client_encoding"));
    this.strings = new ConformingStrings(parameters.get("standard_conforming_strings"));
  }

  /**
   * The refusal of a Query or Parse message (`buf[start, end)`, its SQL `text`) the server may read
   * otherwise than the gateway; null when it reads it alike. Every text is noted: one that may change
   * either setting counts until the target reports it.
   */
  refusal(buf: Buffer, start: number, end: number, text: string): PgError | null {
    const unreadable = this.encoding.ambiguous(buf, start, end) ? AMBIGUOUS_TEXT : this.strings.ambiguous(text) ? NONCONFORMING_TEXT : null;
    this.encoding.noteText(text);
    this.strings.noteText(text);
    return unreadable;
  }

  /** The target's messages reach `filter` as before; the settings it reports are read on the way. */
  watching(filter: BackendFilter): BackendFilter {
    return {
      onFrontend: (type, buf, start, end) => filter.onFrontend(type, buf, start, end),
      onBackend: (type, buf, start, end) => {
        if (type === Backend.ParameterStatus) {
          const [name, value] = buf.toString("utf8", start + 5, end - 1).split("\0");
          this.encoding.onParameter(name, value);
          this.strings.onParameter(name, value);
        } else if (type === Backend.ReadyForQuery) this.strings.onReady();
        return filter.onBackend(type, buf, start, end);
      },
      rowsPass: () => filter.rowsPass?.() === true,
    };
  }
}
