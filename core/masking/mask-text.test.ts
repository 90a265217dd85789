import { describe, expect, it } from "vitest";
import { BUILT_IN_DETECTORS, customDetector, ibanValid, luhnValid } from "./detectors";
import { maskText, maskValue } from "./mask-text";

const key = Buffer.alloc(32, 7);
const mask = (text: string) => maskText(text, BUILT_IN_DETECTORS, "redact", key);

describe("[MASKING][DETECTORS]", () => {
  it.each([
    ["mail me at jane.doe+x@example.co.uk today", "mail me at [REDACTED:email] today", { email: 1 }],
    ["card 4111 1111 1111 1111 exp 12/29", "card [REDACTED:payment-card] exp 12/29", { "payment-card": 1 }],
    ["ssn 123-45-6789", "ssn [REDACTED:us-ssn]", { "us-ssn": 1 }],
    ["iban GB82 WEST 1234 5698 7654 32", "iban [REDACTED:iban]", { iban: 1 }],
    ["from 10.1.2.3 and 2001:db8:0:0:0:0:2:1", "from [REDACTED:ipv4] and [REDACTED:ipv6]", { ipv4: 1, ipv6: 1 }],
    ["key AKIAIOSFODNN7EXAMPLE", "key [REDACTED:cloud-key]", { "cloud-key": 1 }],
    ["call +1 415 555 0100", "call [REDACTED:phone]", { phone: 1 }],
  ])("finds %j", (input, expected, counts) => {
    const r = mask(input);
    expect(r.text).toBe(expected);
    expect(r.counts).toEqual(counts);
  });

  it("finds values inside JSON, arrays and composites and keeps them well-formed", () => {
    const json = JSON.stringify({ who: "ann@example.com", cards: ["4242424242424242"], note: 'said "hi"' });
    const r = mask(json);
    expect(JSON.parse(r.text)).toEqual({ who: "[REDACTED:email]", cards: ["[REDACTED:payment-card]"], note: 'said "hi"' });
    expect(mask("{ann@example.com,bob@example.org}").text).toBe("{[REDACTED:email],[REDACTED:email]}");
    expect(mask("(7,ann@example.com)").text).toBe("(7,[REDACTED:email])");
  });

  it("leaves look-alikes alone: a 16-digit order number failing Luhn, a bad IBAN, an impossible IP, a version string", () => {
    for (const text of ["order 4111111111111112", "GB82WEST12345698765433", "999.1.1.1", "v1.2.3.4-beta", "2026-11-22"]) {
      expect(mask(text).text).toBe(text);
    }
    expect(luhnValid("4111111111111111")).toBe(true);
    expect(luhnValid("4111111111111112")).toBe(false);
    expect(ibanValid("DE89 3704 0044 0532 0130 00")).toBe(true);
  });

  it("masks private-key blocks and JWTs whole", () => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
    expect(mask(`Bearer ${jwt}`).text).toBe("Bearer [REDACTED:jwt]");
    expect(mask("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----").text).toBe("[REDACTED:private-key]");
  });

  it("takes custom detectors", () => {
    expect(maskText("employee E-123456 left", [customDetector("employee-id", "E-\\d{6}")], "redact", key).text).toBe("employee [REDACTED:employee-id] left");
  });
});

describe("[MASKING][HITS]", () => {
  it("replaces every hit of one detector whatever order it gives them in, and all of overlapping ones", () => {
    const spans = [
      { start: 10, end: 15 },
      { start: 0, end: 5 },
    ];
    const unordered = { id: "x", label: "x", needs: [], find: () => spans };
    expect(maskText("aaaaa-----bbbbb--", [unordered], "redact", key).text).toBe("[REDACTED:x]-----[REDACTED:x]--");
    const overlapping = {
      id: "y",
      label: "y",
      needs: [],
      find: () => [
        { start: 0, end: 3 },
        { start: 2, end: 8 },
        { start: 1, end: 9 },
      ],
    };
    expect(maskText("abcdefghij", [overlapping], "redact", key)).toEqual({ text: "[REDACTED:y][REDACTED:y]j", counts: { y: 2 } });
    const one = { id: "z", label: "z", needs: [], find: () => [{ start: 0, end: 4 }] };
    expect(maskText("abcd", [one], "redact", key).text).toBe("[REDACTED:z]");
    expect(maskText("abcdef", [one], "redact", key).text).toBe("[REDACTED:z]ef");
  });
});

describe("[MASKING][STYLES]", () => {
  it("keeps the last four for partial, separators included", () => {
    expect(maskValue("4111-1111-1111-1234", "partial", key)).toBe("****-****-****-1234");
    expect(maskValue("ann@example.com", "partial", key)).toBe("***@******e.com"); // the last four letters or digits: e, c, o, m
  });

  it("gives the same token for the same value under one key, another under another key", () => {
    const a = maskValue("ann@example.com", "token", key);
    expect(a).toMatch(/^tok_[a-z2-7]{16}$/);
    expect(maskValue("ann@example.com", "token", key)).toBe(a);
    expect(maskValue("bob@example.com", "token", key)).not.toBe(a);
    expect(maskValue("ann@example.com", "token", Buffer.alloc(32, 8))).not.toBe(a);
  });
});
