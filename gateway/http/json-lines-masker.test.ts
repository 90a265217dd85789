import { describe, expect, it } from "vitest";
import { Readable } from "node:stream";
import { JsonLinesMasker } from "./json-lines-masker";
import { ValueMasker } from "../../core/masking/value-masker";
import { compilePathRule } from "../../core/masking/json-masker";
import { compileForGroups } from "../../core/masking/compile-rules";
import { maskingRulesSchema } from "../../core/masking/masking-rules";

const masker = () =>
  new ValueMasker({ detectors: [], detectorStyle: "redact", columns: [], paths: [{ ...compilePathRule("secret-data", "$..data", "redact"), replacement: "MASKED" }] }, Buffer.alloc(32));

async function run(chunks: string[], limit = 1 << 20): Promise<string> {
  let out = "";
  const t = Readable.from(chunks.map((c) => Buffer.from(c))).pipe(new JsonLinesMasker(masker(), limit));
  for await (const c of t) out += String(c);
  return out;
}

describe("JsonLinesMasker: a watch's events masked whole, one a line", () => {
  const event = (v: string) => `${JSON.stringify({ type: "ADDED", object: { kind: "Secret", data: { password: v } } })}\n`;

  it("masks path rules in every event, whatever the packets cut", async () => {
    const text = event("aHVudGVyMg==") + event("c2VjcmV0");
    for (const cut of [1, 2, 5, 17, text.length - 1]) {
      const chunks = [];
      for (let i = 0; i < text.length; i += cut) chunks.push(text.slice(i, i + cut));
      const out = await run(chunks);
      expect(out).toBe(event("MASKED") + event("MASKED"));
    }
  });

  it("ends the stream with an error rather than pass a line it cannot hold whole", async () => {
    await expect(run([event("x".repeat(5000)).slice(0, 4000), "more"], 1024)).rejects.toThrow(/larger than the 1024 bytes/);
  });

  it("ends the stream with an error at a line that is not JSON when path rules could not be applied to it; without them the detectors read it", async () => {
    await expect(run([event("aHVudGVyMg=="), "not json: ann@example.com\n"])).rejects.toThrow(/does not read as JSON/);
    const detectorsOnly = new ValueMasker(compileForGroups(maskingRulesSchema.parse({ detectors: { builtIn: ["email"] } }), [])!, Buffer.alloc(32));
    let out = "";
    for await (const c of Readable.from([Buffer.from('{"a":"bob@example.org"}\nnot json: ann@example.com\n\u001e{"b":1}\n')]).pipe(new JsonLinesMasker(detectorsOnly, 1 << 20))) out += String(c);
    expect(out).toBe('{"a":"[REDACTED:email]"}\nnot json: [REDACTED:email]\n\u001e{"b":1}\n');
  });

  it("reads a JSON text sequence's record separator before each document (RFC 7464)", async () => {
    expect(await run([`\u001e${event("aHVudGVyMg==")}\u001e${event("c2VjcmV0")}`])).toBe(`\u001e${event("MASKED")}\u001e${event("MASKED")}`);
  });
});
