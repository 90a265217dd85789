import { describe, expect, it } from "vitest";
import { Readable } from "node:stream";
import { compileForGroups } from "../../core/masking/compile-rules";
import { maskJsonBytes } from "../../core/masking/json-masker";
import { maskingRulesSchema } from "../../core/masking/masking-rules";
import { ValueMasker } from "../../core/masking/value-masker";
import { JsonStreamMasker } from "./json-stream-masker";

const key = Buffer.alloc(32, 7);
const masker = (doc: unknown) => new ValueMasker(compileForGroups(maskingRulesSchema.parse(doc), [])!, key);
const RULES = {
  paths: [
    { path: "$.customers[*].name", style: "redact" },
    { path: "$..iban", style: "partial" },
  ],
  detectors: { builtIn: ["email", "payment-card"] },
};

/** A body streamed through the masker in the given pieces. */
async function streamed(body: Buffer, cuts: number[], m: ValueMasker, maxValue = 1 << 20): Promise<string> {
  const pieces = [0, ...cuts, body.length].slice(1).map((end, i, ends) => body.subarray(i ? ends[i - 1] : 0, end));
  const out: Buffer[] = [];
  for await (const c of Readable.from(pieces).pipe(new JsonStreamMasker(m, maxValue))) out.push(c as Buffer);
  return Buffer.concat(out).toString("utf8");
}

// Random documents: strings with e-mails, cards, escapes and non-ASCII (split mid-character too), numbers, literals, nesting.
function randomDocument(rnd: () => number): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const strings = ["plain", "ann@example.com", "call bob@example.org now", "4111 1111 1111 1111", 'quote \\" and \\\\ slash', "caf\u00e9 \u00fc\u00df \u{1F600}", "\\u0040 at", ""];
  const value = (depth: number): string => {
    const r = rnd();
    if (depth > 3 || r < 0.4) return pick([`"${pick(strings)}"`, String(Math.floor(rnd() * 1e12)), "-12.5e3", "true", "false", "null", "4111111111111111"]);
    if (r < 0.7) return `[${Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1)).join(", ")}]`;
    const keys = ["name", "iban", "email", "customers", "note", "ann@example.com", "id"];
    return `{${Array.from({ length: Math.floor(rnd() * 4) }, () => `"${pick(keys)}": ${value(depth + 1)}`).join(",\n ")}}`;
  };
  return `{"customers": [${Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => `{"name": "Ann Real", "iban": "DE89370400440532013000", "x": ${value(1)}}`).join(",")}], "more": ${value(0)}}`;
}

describe("[MASKING][JSON][STREAM] a JSON body masked as it streams", () => {
  it("masks exactly as the whole body is masked, however the body is cut into pieces (random documents and cuts)", async () => {
    let seed = 20261208;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let round = 0; round < 150; round++) {
      const docs = round % 5 === 0 ? [randomDocument(rnd), randomDocument(rnd)].join("\n") : randomDocument(rnd);
      const prefix = round % 7 === 0 ? ")]}',\n" : round % 11 === 0 ? "\uFEFF" : "";
      const body = Buffer.from(prefix + docs, "utf8");
      const whole = masker(RULES);
      const want = (maskJsonBytes(body, whole) ?? body).toString("utf8");
      const cuts = [...new Set(Array.from({ length: Math.floor(rnd() * 12) }, () => Math.floor(rnd() * body.length)))].sort((a, b) => a - b);
      const m = masker(RULES);
      expect(await streamed(body, cuts, m), `${JSON.stringify(body.toString())} cut at ${cuts}`).toBe(want);
      expect(m.takeCounts()).toEqual(whole.takeCounts());
    }
  });

  it("cuts a document byte by byte and still masks each value whole", async () => {
    const body = Buffer.from('{"customers":[{"name":"Ann Real","note":"write to ann@example.com"}],"iban":"DE89370400440532013000","n":-12345.5e-3,"ok":true}');
    const got = await streamed(
      body,
      Array.from({ length: body.length - 1 }, (_, i) => i + 1),
      masker(RULES),
    );
    expect(got).toBe((maskJsonBytes(body, masker(RULES)) ?? body).toString());
    expect(got).not.toContain("Ann Real");
    expect(got).not.toContain("ann@example.com");
  });

  it("ends with an error on a value longer than it masks whole, and on a body that stops being JSON under path rules; without path rules the rest is scanned as text", async () => {
    const long = Buffer.from(`{"customers":[{"name":"${"x".repeat(5000)}"}]}`);
    await expect(streamed(long, [100, 2000, 4000], masker(RULES), 1000)).rejects.toThrow(/longer than the 1000 bytes/);
    const broken = Buffer.from('{"customers": [{"name": "Ann Real"}]} trailing words ann@example.com\n');
    await expect(streamed(broken, [10], masker(RULES))).rejects.toThrow(/stopped reading as JSON/);
    const detectorsOnly = await streamed(broken, [10, 50], masker({ detectors: { builtIn: ["email"] } }));
    expect(detectorsOnly).not.toContain("ann@example.com");
    expect(detectorsOnly).toContain("Ann Real");
  });
});
