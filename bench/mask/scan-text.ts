/**
 * `node --import tsx bench/mask/scan-text.ts`: how fast a terminal's or a command's output is
 * scanned by the built-in detectors (ValueMasker.scanText, as the SSH bridge's StreamTextMasker
 * calls it on each chunk of whole lines), in MB/s, for a few kinds of output.
 */
import { randomBytes } from "node:crypto";
import { compileForGroups } from "../../core/masking/compile-rules";
import { maskingRulesSchema } from "../../core/masking/masking-rules";
import { ValueMasker } from "../../core/masking/value-masker";

// Every built-in detector (no builtIn list), redacting.
const masking = compileForGroups(maskingRulesSchema.parse({ detectors: { style: "redact" } }), [])!;
const masker = new ValueMasker(masking, randomBytes(32));
const CHUNK = 32 * 1024;
const TOTAL = 16 * 1024 * 1024;

const lines = (make: (i: number) => string) => {
  let s = "";
  for (let i = 0; s.length < CHUNK; i++) s += make(i) + "\n";
  return s.slice(0, s.lastIndexOf("\n", CHUNK) + 1);
};
const kinds: Array<[string, string]> = [
  ["letters and digits (yes 0123...xyz)", lines(() => "0123456789abcdefghijklmnopqrstuvwxyz")],
  [
    "a log (time, level, ids, words)",
    lines((i) => `2026-12-04T10:16:${String(i % 60).padStart(2, "0")}.123Z INFO  [worker-${i % 8}] request id=${100000 + i} user_id=${i * 7} took ${i % 900} ms GET /api/v1/orders/${i}`),
  ],
  ["ls -l", lines((i) => `-rw-r--r-- 1 app app ${1000 + i * 13} Dec  4 10:${String(i % 60).padStart(2, "0")} file-${i}.txt`)],
  ["base64 (random bytes)", lines(() => randomBytes(57).toString("base64"))],
];
for (const [name, chunk] of kinds) {
  const rounds = Math.ceil(TOTAL / chunk.length);
  masker.scanText(chunk); // warm up
  const t0 = performance.now();
  let hits = 0;
  for (let i = 0; i < rounds; i++) if (masker.scanText(chunk) !== null) hits++;
  const ms = performance.now() - t0;
  console.log(`${name.padEnd(40)} ${((rounds * chunk.length) / 1e6 / (ms / 1000)).toFixed(1).padStart(7)} MB/s  (${hits ? "masked something" : "nothing masked"})`);
}
