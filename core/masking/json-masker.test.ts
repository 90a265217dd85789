import { describe, expect, it } from "vitest";
import { compileForGroups } from "./compile-rules";
import { maskJsonBytes, maskJsonText } from "./json-masker";
import { maskingRulesSchema } from "./masking-rules";
import { ValueMasker } from "./value-masker";

const key = Buffer.alloc(32, 7);
const masker = (doc: unknown, groups: string[] = []) => {
  const compiled = compileForGroups(maskingRulesSchema.parse(doc), groups);
  if (!compiled) throw new Error("nothing to mask");
  return new ValueMasker(compiled, key);
};

describe("[MASKING][JSON] JSON bodies are masked in place", () => {
  it("masks by path after a byte-order mark or an anti-XSSI prefix, which it keeps", () => {
    const m = masker({ paths: [{ path: "$.customers[*].name", style: "redact" }] });
    for (const prefix of ["\uFEFF", ")]}',\n", ")]}'\n", "while(1);", "for(;;);"]) {
      const text = `${prefix}{"customers":[{"name":"Ann Real"}]}`;
      expect(maskJsonText(text, m), prefix).toBe(`${prefix}{"customers":[{"name":"[REDACTED]"}]}`);
      expect(maskJsonBytes(Buffer.from(text), m)?.toString(), prefix).toBe(`${prefix}{"customers":[{"name":"[REDACTED]"}]}`);
    }
  });

  it("masks detector hits in string values and keys, and keeps every other byte", () => {
    const m = masker({ detectors: { builtIn: ["email", "payment-card"] } });
    const text = '{ "id": 12345678901234567890, "email":"ann@example.com",\n  "notes": ["call bob@example.org", 1.5e3, true, null], "ann@example.com": {"card": 4111111111111111} }';
    const out = maskJsonText(text, m)!;
    expect(out).toBe('{ "id": 12345678901234567890, "email":"[REDACTED:email]",\n  "notes": ["call [REDACTED:email]", 1.5e3, true, null], "[REDACTED:email]": {"card": "[REDACTED:payment-card]"} }');
    expect(m.takeCounts()).toEqual({ email: 3, "payment-card": 1 });
    expect(maskJsonText('{"a": "nothing here"}', m)).toBeNull();
  });

  it("decodes escapes before the detectors look, and re-encodes what it replaces", () => {
    const m = masker({ detectors: { builtIn: ["email"] } });
    expect(maskJsonText('{"e":"ann\\u0040example.com","q":"say \\"hi\\" to x@y.io"}', m)).toBe('{"e":"[REDACTED:email]","q":"say \\"hi\\" to [REDACTED:email]"}');
    // A string ending in an escaped backslash ends at the next quote; what follows is read as JSON again.
    expect(maskJsonText('["dir\\\\", "bob@example.org", -12, 1e5]', m)).toBe('["dir\\\\", "[REDACTED:email]", -12, 1e5]');
  });

  it("masks values at JSON paths whole, containers with everything in them, with exemptions", () => {
    const rules = {
      detectors: { builtIn: [] },
      paths: [{ path: "$.customers[*].name", style: "partial" }, { path: "$..iban" }, { path: "$.secret", exemptGroups: ["dpo"] }],
    };
    const text = '{"customers":[{"name":"Ann Smith","iban":{"v":"x","n":5}},{"name":"Bob Jones"}],"name":"Shop","secret":42,"other":{"iban":"DE1"}}';
    expect(maskJsonText(text, masker(rules))).toBe(
      '{"customers":[{"name":"*** *mith","iban":{"v":"[REDACTED]","n":"[REDACTED]"}},{"name":"*** *ones"}],"name":"Shop","secret":"[REDACTED]","other":{"iban":"[REDACTED]"}}',
    );
    expect(maskJsonText(text, masker(rules, ["dpo"]))).not.toContain('"secret":"[REDACTED]"');
  });

  it("masks by path in documents written one after another (JSON lines) and past Python's NaN and Infinity", () => {
    const m = masker({ paths: [{ path: "$.customers[*].name", style: "redact" }] });
    // Before, either made the body read as not JSON, and a name under the rule came back plain.
    expect(maskJsonText('{"customers":[{"name":"Ann Real"}]}\n{"customers":[{"name":"Bob Two"}]}\n', m)).toBe('{"customers":[{"name":"[REDACTED]"}]}\n{"customers":[{"name":"[REDACTED]"}]}\n');
    expect(maskJsonText('{"customers":[{"score":NaN,"name":"Ann Real"},{"score":-Infinity,"name":"Bob Two","max":Infinity}]}', m)).toBe(
      '{"customers":[{"score":NaN,"name":"[REDACTED]"},{"score":-Infinity,"name":"[REDACTED]","max":Infinity}]}',
    );
    expect(maskJsonText('{"customers":[{"name":NaN}]}', m)).toBe('{"customers":[{"name":"[REDACTED]"}]}');
    // Numbers one after another are still not a sequence of documents (a card written in groups).
    const cm = masker({ detectors: { builtIn: ["payment-card"] } });
    expect(maskJsonText('{"a":1} 4111 1111 1111 1111', cm)).toBe('{"a":1} [REDACTED:payment-card]');
  });

  it("still scans text that is not JSON (a truncated document leaks nothing)", () => {
    const m = masker({ detectors: { builtIn: ["email"] } });
    expect(maskJsonText('{"a": "ann@example.com', m)).toBe('{"a": "[REDACTED:email]');
    expect(maskJsonText("<html>bob@example.org</html>", m)).toBe("<html>[REDACTED:email]</html>");
    // Text that reads as JSON tokens but is not JSON: a card written in groups is four short numbers to
    // a JSON reader, so the whole text goes through the detectors as text (counted once).
    const cm = masker({ detectors: { builtIn: ["payment-card"] } });
    expect(maskJsonText("4111 1111 1111 1111", cm)).toBe("[REDACTED:payment-card]");
    expect(maskJsonText('{"ok": true} paid with 4111 1111 1111 1111', cm)).toBe('{"ok": true} paid with [REDACTED:payment-card]');
    expect(maskJsonText('{"card": "4111111111111111"} 4111 1111 1111 1111', cm)).toBe('{"card": "[REDACTED:payment-card]"} [REDACTED:payment-card]');
    expect(cm.takeCounts()).toEqual({ "payment-card": 4 });
  });

  it("refuses paths it cannot read", () => {
    expect(maskingRulesSchema.safeParse({ paths: [{ path: "customers.email" }] }).success).toBe(false);
    expect(maskingRulesSchema.safeParse({ paths: [{ path: "$['odd key'][0]..x" }] }).success).toBe(true);
  });

  it("masks a large document whole (timing is measured by the benchmark, not here: this machine is shared)", () => {
    const m = masker({ detectors: {}, paths: [{ path: "$.rows[*].email" }] });
    const rows = Array.from({ length: 6000 }, (_, i) => ({
      id: i,
      email: `user${i}@example.com`,
      note: `order ${i} for customer ${i}, phone none`,
      card: i % 10 === 0 ? "4111 1111 1111 1111" : "n/a",
    }));
    const text = JSON.stringify({ rows });
    expect(text.length).toBeGreaterThan(512 * 1024);
    const out = maskJsonText(text, m)!;
    expect(out).not.toContain("@example.com");
    expect(out).not.toContain("4111 1111");
    expect(JSON.parse(out).rows).toHaveLength(6000);
  });
});

describe("[MASKING][JSON] the in-place masker agrees with masking the parsed document", () => {
  // A seeded generator of documents: nesting, escapes, non-ASCII text, e-mails and card numbers in
  // values and keys, numbers of every length, and a key the path rule names at any depth.
  let seed = 12345;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const words = [
    "plain",
    "ann@example.com",
    'say "hi" to bob@example.org',
    "tab\there",
    "café ☕ zoë@example.net",
    "4111 1111 1111 1111",
    "back\\slash",
    "\u2028line",
    "4111111111111112",
    "",
    "secret",
  ];
  const value = (depth: number): unknown => {
    const k = rnd(depth > 3 ? 4 : 7);
    if (k === 0) return words[rnd(words.length)];
    if (k === 1) return rnd(2) ? rnd(1000) : 4111111111111111;
    if (k === 2) return [true, false, null, -0.5, 1e21][rnd(5)];
    if (k === 3) return `${words[rnd(words.length)]} ${rnd(100000)}`;
    if (k === 4) return Array.from({ length: rnd(4) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: rnd(4) }, () => [rnd(4) === 0 ? "secret" : words[rnd(words.length)], value(depth + 1)]));
  };
  const m = masker({ detectors: { builtIn: ["email", "payment-card"] }, paths: [{ path: "$..secret", style: "redact" }] });
  // The reference: the same rules applied to the parsed document (keys and strings through the detectors, "secret" whole).
  const reference = (v: unknown, covered: boolean): unknown => {
    if (covered) return v === null ? null : "[REDACTED]";
    if (typeof v === "string") return m.scanText(v) ?? v;
    if (typeof v === "number") return String(v).length >= 9 ? (m.scanText(String(v)) ?? v) : v;
    if (Array.isArray(v)) return v.map((x) => reference(x, false));
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [m.scanText(k) ?? k, reference(x, k === "secret")]));
    return v;
  };

  it("gives the same document as masking the parsed one, for 300 random documents, compact and indented", () => {
    for (let i = 0; i < 300; i++) {
      const doc = { data: value(0) };
      for (const text of [JSON.stringify(doc), JSON.stringify(doc, null, 2)]) {
        const out = maskJsonText(text, m) ?? text;
        expect(JSON.parse(out), text).toEqual(reference(doc, false));
      }
    }
  });

  it("as bytes, a partial mask written from an ASCII body's bytes is the text's, and counted alike, for 300 random documents", () => {
    const p = masker({ detectors: { builtIn: ["email", "payment-card"] }, paths: [{ path: "$..secret", style: "partial" }] });
    const ascii = (v: unknown): unknown =>
      typeof v === "string" ? v.replace(/[^\t\n -~]/g, "?") : Array.isArray(v) ? v.map(ascii) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, ascii(x)])) : v;
    const names = ["Ann Smith", "Bo", "x-1", "abc", "a.b.c.d.e", "O'Brien 12", "  9 ", "Customer 5000", "---", "a1b2c3d4e5"];
    for (let i = 0; i < 300; i++) {
      const doc = ascii({ data: value(0), secret: names[rnd(names.length)], more: [{ secret: names[rnd(names.length)] }, { secret: rnd(100000) }] });
      const body = Buffer.from(JSON.stringify(doc));
      const text = maskJsonText(body.toString("latin1"), p);
      const textCounts = p.takeCounts();
      const bytes = maskJsonBytes(body, p);
      expect(bytes?.toString("latin1") ?? null, body.toString()).toBe(text);
      expect(p.takeCounts()).toEqual(textCounts);
    }
  });

  it("as bytes, gives the UTF-8 of the masked text, whether the body is ASCII (copied around the edits) or not", () => {
    const m = masker({ detectors: { builtIn: ["email", "payment-card"] }, paths: [{ path: "$..name", style: "partial" }] });
    const bodies = [
      Buffer.from(
        JSON.stringify({
          rows: [
            { name: "Ann Smith", email: "ann@example.com", card: "4111 1111 1111 1111" },
            { name: "Bo", note: "x" },
          ],
        }),
      ),
      // Escapes in an ASCII body that decode to non-ASCII: the replacements are not ASCII.
      Buffer.from('{"e":"\\u00e9ric@example.com","name":"\\u00c9lodie Dupont","k":"\\ud83d\\ude00 bob@example.org"}'),
      Buffer.from(JSON.stringify({ name: "Élodie Dupont", mail: "éric@example.com", emoji: "😀 bob@example.org" })),
      Buffer.concat([Buffer.from('{"a":"bob@example.org","b":"'), Buffer.from([0xff, 0xc3]), Buffer.from('"}')]), // not UTF-8
      Buffer.from("<html>bob@example.org</html>"), // not JSON
      Buffer.from('{"a": "nothing here"}'),
      // A masked value that needs escaping again (a quote kept by the partial mask, a non-ASCII letter).
      Buffer.from('{"name":"O\\"Brien \\u00e9 1234","x":"a@b.cd"}'),
      Buffer.from('{"name":"O\\"Brien 1234"}'),
      // Replacements longer than what they replace, enough of them to outgrow the room set aside for the output.
      Buffer.from(JSON.stringify(Array.from({ length: 3000 }, (_, i) => `a${i}@b.cd`))),
    ];
    for (const body of bodies) {
      const text = maskJsonText(body.toString("utf8"), m);
      m.takeCounts();
      const bytes = maskJsonBytes(body, m);
      expect(bytes === null ? null : bytes.toString("utf8"), body.toString()).toBe(text);
      if (bytes) expect(bytes.equals(Buffer.from(text!, "utf8"))).toBe(true);
    }
  });
});
