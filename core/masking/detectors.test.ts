import { describe, expect, it } from "vitest";
import { BUILT_IN_DETECTORS } from "./detectors";

const email = BUILT_IN_DETECTORS.find((d) => d.id === "email")!;
// The expression the e-mail detector used to run (see findEmails): the spans must stay the same.
const EXPRESSION = /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/g;
const byExpression = (text: string) => [...text.matchAll(EXPRESSION)].map((m) => ({ start: m.index, end: m.index + m[0].length }));

describe("the e-mail detector", () => {
  it("finds what its regular expression found, on 20,000 random texts", () => {
    const alphabet = "ab.Z9_-+%@@ @.co.uk,;'\"é";
    let seed = 7;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed);
    for (let i = 0; i < 20_000; i++) {
      const text = Array.from({ length: next() % 40 }, () => alphabet[next() % alphabet.length]).join("");
      expect(email.find(text), JSON.stringify(text)).toEqual(byExpression(text));
    }
    for (const text of ["ann@example.com", "x .ann@example.com, _b@c.de", "a@b@example.com", "ann@example.com@x.org", "é@x.org ä.b@y.io", "mail: a.b-c+d%e@sub.example.co.uk."])
      expect(email.find(text), text).toEqual(byExpression(text));
  });

  // A stall, not a speed figure: the expression took 4 s on the first of these at 64,000 characters and
  // time growing with the square of the length (vitest's timeout cannot interrupt synchronous code).
  it("reads a long local part with no address after it in one pass", () => {
    const n = 256 * 1024;
    for (const text of [".a".repeat(n / 2), `${".a".repeat(n / 2)}@`, "1-".repeat(n / 2), `${"a.".repeat(n / 2)}@x`, "a@".repeat(n / 2), `x@${"a.".repeat(n / 2)}`]) {
      const started = performance.now();
      email.find(text);
      expect(performance.now() - started, text.slice(0, 20)).toBeLessThan(2_000);
    }
  });
});
