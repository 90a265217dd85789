import type { SessionMasking } from "./compile-rules";
import { ValueMasker } from "./value-masker";

/**
 * What audit events store of a masked session's statement texts and errors: detector hits masked,
 * so that nothing the stream masked reappears in the log (an agent pasting a value into a WHERE
 * clause, a server error quoting one). Undefined when the session is not masked.
 */
export function auditTextMask(masking: SessionMasking | null, key: Buffer): ((text: string) => string) | undefined {
  if (!masking || masking.detectors.length === 0) return undefined;
  const masker = new ValueMasker(masking, key);
  return (text) => masker.scanText(text) ?? text;
}
