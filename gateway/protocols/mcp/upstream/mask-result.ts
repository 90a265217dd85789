import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { ValueMasker } from "../../../../core/masking/value-masker";
import { isJsonText, maskJsonText } from "../../../../core/masking/json-masker";
import { redactSecret } from "../../../../core/connections/types/http-credential";

/** What replaces content the detectors cannot read (images, audio, binary resources) while the connection masks. */
export const WITHHELD = "[content withheld by Gatehouse: binary content cannot be masked]";

/**
 * A tool result as the agent may see it: the upstream's credential cut out of every text, and with
 * masking on, the detectors (and JSON path rules) applied to text content, embedded text resources
 * and structured content; binary content is withheld (fail closed: what cannot be scanned is not sent).
 */
export function maskToolResult(result: CallToolResult, masker: ValueMasker | null, secretForms: readonly string[]): CallToolResult {
  // JSON text gets the path rules too; other text the detectors over the whole of it (maskJsonText
  // reads non-JSON token by token, which misses values with spaces in them: "4111 1111 1111 1111").
  const text = (t: string) => {
    const clean = secretForms.length ? redactSecret(t, secretForms) : t;
    if (!masker) return clean;
    return (isJsonText(clean) ? maskJsonText(clean, masker) : masker.scanText(clean)) ?? clean;
  };
  const content = (result.content ?? []).map((part) => {
    if (part.type === "text") return { ...part, text: text(part.text) };
    if (part.type === "resource" && "text" in part.resource) return { ...part, resource: { ...part.resource, text: text(part.resource.text) } };
    if (part.type === "resource_link") return part;
    return masker ? { type: "text" as const, text: WITHHELD } : part;
  });
  const out: CallToolResult = { ...result, content };
  if (result.structuredContent !== undefined) {
    try {
      out.structuredContent = JSON.parse(text(JSON.stringify(result.structuredContent))) as Record<string, unknown>;
    } catch {
      // A redaction broke the document: it is not sent rather than sent unmasked.
      delete out.structuredContent;
      out.content = [...content, { type: "text", text: "[structured content withheld by Gatehouse: it could not be masked]" }];
    }
  }
  return out;
}
