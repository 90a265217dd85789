import { REFUSED_TEXT } from "./guard-types";

/**
 * Pure serialisers of what the target is sent in place of a refused text. Built here rather than
 * with pg-protocol's serializer: that one prints a statement name over 63 characters to stderr
 * (the client's bytes, raw, in the gateway's log), and decoding the name to a string and back would
 * change a name that is not valid UTF-8, so the client's later Bind or Close would not line up.
 */

function message(type: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = type;
  out.writeInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return out;
}

const REFUSED = Buffer.from(REFUSED_TEXT + "\0", "utf8");

/** A Query of the refused text. */
export const refusedQuery = (): Buffer => message(0x51, REFUSED);

/**
 * A Parse of the refused text under the statement name of the client's Parse (bytes [start, end) of
 * buf), copied byte for byte; no parameter types.
 */
export function refusedParse(buf: Buffer, start: number, end: number): Buffer {
  const nameEnd = buf.indexOf(0, start + 5);
  if (nameEnd < 0 || nameEnd >= end) throw new RangeError("unterminated string in message");
  return message(0x50, Buffer.concat([buf.subarray(start + 5, nameEnd + 1), REFUSED, Buffer.from([0, 0])]));
}
