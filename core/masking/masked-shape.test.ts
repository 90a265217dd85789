import { describe, expect, it } from "vitest";
import { maskValue } from "./mask-text";
import { looksMasked, MaskedShapeScan } from "./masked-shape";

const key = Buffer.alloc(32, 7);

describe("[MASKING][WRITE-BACK] what masking shows, told from real values", () => {
  it("knows every style's output, a partial mask of a short value included", () => {
    for (const v of ["ZX-4471-QQ", "ann.secret@example.com", "4111 1111 1111 1111", "12345", "Ünïcode-Näme 42"]) {
      for (const style of ["redact", "partial", "token"] as const) expect(looksMasked(maskValue(v, style, key)), `${style} of ${v}`).toBe(true);
    }
    expect(looksMasked(maskValue("x", "redact", key, "email"))).toBe(true);
    // Inside a longer text: markers, tokens and runs of stars (a partial mask is told as a whole value only).
    expect(looksMasked(`write to ${maskValue("a@b.example", "token", key)} today`)).toBe(true);
    expect(looksMasked("card ************1111 on file")).toBe(true);
  });

  it("lets real values through", () => {
    for (const v of ["ZX-4471-QQ", "", "a*b", "*important*", "2 * 3 = 6", "**bold** text", "***", "*ABCDE", "1234", "tok_short", "[REDACTED] is in my notes"]) {
      expect(looksMasked(v), v).toBe(v === "[REDACTED] is in my notes");
    }
  });

  it("reads a value sent in pieces as it reads it whole", () => {
    const values = ["**-**71-QQ", `x[REDACTED:payment-card]y`, `${"a".repeat(100)}tok_abcdefghijklmnop`, "**-**71-QQ-Z", "plain value"];
    for (const v of values) {
      for (let cut = 0; cut <= v.length; cut++) {
        const scan = new MaskedShapeScan();
        scan.push(v.slice(0, cut));
        scan.push(v.slice(cut));
        expect(scan.masked, `${v} cut at ${cut}`).toBe(looksMasked(v));
      }
    }
  });
});
