import { PgError } from "./pg-error";

/** The refusal of a text with a backslash while strings may not conform, where texts are judged or masked. */
export const NONCONFORMING_TEXT = new PgError(
  "ERROR",
  "42601",
  "Gatehouse refused this text: standard_conforming_strings is off in this session (or may be), so a backslash in a '...' string escapes the next character and the server could read the statement otherwise than Gatehouse judges it",
  undefined,
  "Set standard_conforming_strings to on (the default), or leave backslashes out of the text.",
);

/** A text that may change standard_conforming_strings (SET, set_config, RESET, DISCARD ALL). */
const CHANGES = /standard_conforming_strings|\breset\b|\bdiscard\b/i;
/** ...to on, written out: no doubt what it sets. */
const SAFE_SET = /^set\s+(?:session\s+)?standard_conforming_strings\s*(?:to|=)\s*'?(?:on|true|1|yes)'?\s*;?$/i;

/**
 * The session's standard_conforming_strings, as far as reading SQL texts depends on it. The gateway
 * parses with it on (PostgreSQL's default, and libpg-query's); off, a backslash in a plain '...'
 * string escapes the next character, so `select 'a\' , $$' ; drop table t; --$$` is a string and a
 * DROP to the server and one SELECT to the parser. The target reports the setting whenever it
 * changes (ParameterStatus, before the ReadyForQuery that ends the text that changed it); a text that
 * may change it counts as turning it off until that ReadyForQuery (a pipelined text after it is
 * judged before the report could come).
 */
export class ConformingStrings {
  private reportedOff = false;
  private mayChange = false;

  constructor(initial: string | undefined) {
    this.reportedOff = initial !== undefined && initial.toLowerCase() !== "on";
  }

  /** Whether the server may read this text otherwise than the gateway: strings may not conform and it holds a backslash. */
  ambiguous(text: string): boolean {
    return (this.reportedOff || this.mayChange) && text.includes("\\");
  }

  /** Each judged text: one that may turn the setting off marks the session until the target is ready again. */
  noteText(text: string): void {
    if (!this.mayChange && CHANGES.test(text) && !SAFE_SET.test(text.trim())) this.mayChange = true;
  }

  /** A setting the target reported, by name. */
  onParameter(name: string, value: string | undefined): void {
    if (name === "standard_conforming_strings" && value) this.reportedOff = value.toLowerCase() !== "on";
  }

  /** The target is ready for the next text: whatever the last one set, it has reported by now. */
  onReady(): void {
    this.mayChange = false;
  }
}
