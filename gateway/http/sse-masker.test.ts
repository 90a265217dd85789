import { describe, expect, it } from "vitest";
import { compileForGroups } from "../../core/masking/compile-rules";
import { maskingRulesSchema } from "../../core/masking/masking-rules";
import { ValueMasker } from "../../core/masking/value-masker";
import { SseMasker } from "./sse-masker";

const masker = () => new ValueMasker(compileForGroups(maskingRulesSchema.parse({ detectors: { builtIn: ["email", "payment-card"] } }), [])!, Buffer.alloc(32, 1));
const event = (content: string, id = "chatcmpl-9") => `data: ${JSON.stringify({ id, model: "m-1", choices: [{ index: 0, delta: { content } }] })}\n\n`;

/** Writes events (each a chunk, or cut in odd places) and returns what came out, event by event, with the time each left. */
async function through(chunks: string[], opts: { hold?: number; quietMs?: number; gapMs?: number } = {}) {
  const m = new SseMasker(masker(), opts.hold, opts.quietMs ?? 50);
  const out: Array<{ text: string; at: number }> = [];
  const t0 = Date.now();
  m.on("data", (c: Buffer) => out.push({ text: c.toString(), at: Date.now() - t0 }));
  for (const c of chunks) {
    m.write(Buffer.from(c));
    if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
  }
  m.end();
  await new Promise((r) => m.once("end", r));
  const text = out.map((o) => o.text).join("");
  const contents = text
    .split("\n\n")
    .filter(Boolean)
    .map((e) => (JSON.parse(e.slice(6)) as { choices?: Array<{ delta: { content: string } }> }).choices?.[0].delta.content);
  return { text, contents, out, counts: m["masker"].takeCounts() };
}

describe("[HTTP][MASKING] Server-Sent Events masked across events", () => {
  it("masks an e-mail and a card a model streams a token an event, and keeps every event and its order", async () => {
    const tokens = ["Write", " to", " bob", "@", "example", ".org", " or", " pay", " with", " 4111", " 1111", " 1111", " 1111", ".", " Thanks"];
    const r = await through(tokens.map((t) => event(t)));
    expect(r.contents).toHaveLength(tokens.length);
    const joined = r.contents.join("");
    expect(joined).toBe("Write to [REDACTED:email] or pay with [REDACTED:payment-card]. Thanks");
    expect(r.text).not.toMatch(/bob|example\.org|4111/);
    // The replacement goes in the event where the value starts; the others carry what is left of theirs.
    expect(r.contents.slice(2, 6)).toEqual([" [REDACTED:email]", "", "", ""]);
    expect(r.counts).toEqual({ email: 1, "payment-card": 1 });
    // Fields that never change (id, model) are not held, and are still one value each event.
    expect(
      r.text
        .split("\n\n")
        .filter(Boolean)
        .every((e) => e.includes('"id":"chatcmpl-9"') && e.includes('"model":"m-1"')),
    ).toBe(true);
  });

  it("holds an event only until enough of its field has followed, or the stream goes quiet", async () => {
    const long = ` ${"x".repeat(39)}`;
    const r = await through([event("mail me at a"), event("nn@example.com"), event(long), event(long)], { hold: 50, gapMs: 15 });
    expect(r.contents.join("")).toBe(`mail me at [REDACTED:email]${long}${long}`);
    // The first two left once 50 characters had followed them (with the fourth event), before the end.
    expect(r.out[0].text).toContain("mail me at ");
    expect(r.out.length).toBeGreaterThanOrEqual(2);
    // The second event comes 400 ms after the first: the first leaves after 30 ms of quiet, long before (a margin for a loaded machine's timers).
    const quiet = await through([event("hello"), event(" there")], { quietMs: 30, gapMs: 400 });
    expect(quiet.out[0].at, "a quiet stream releases what it holds").toBeLessThan(350);
  });

  it("masks data that is not JSON as streamed text, events split across chunks, and other lines on their own", async () => {
    const raw = ": keep-alive\n\nevent: token\ndata: ann@exam\n\nevent: token\ndata: ple.com and\n\nid: 7\ndata: done, call carol@example.net\n\n";
    const chunks = [raw.slice(0, 7), raw.slice(7, 40), raw.slice(40, 41), raw.slice(41)];
    const s = new SseMasker(masker(), undefined, 20);
    let out = "";
    s.on("data", (c: Buffer) => (out += c.toString()));
    for (const c of chunks) s.write(Buffer.from(c));
    s.end();
    await new Promise((r) => s.once("end", r));
    expect(out).toBe(": keep-alive\n\nevent: token\ndata: [REDACTED:email]\n\nevent: token\ndata:  and\n\nid: 7\ndata: done, call [REDACTED:email]\n\n");
  });

  it("masks whole values of one field in events that come close together (an e-mail each): none joins the next into another hit", async () => {
    const emails = ["dave0@example.com", "ann.secret@example.com", "bob.hidden@example.org", "dave1@example.com"];
    const r = await through(emails.map((email, n) => `data: ${JSON.stringify({ n, email })}\n\n`));
    const events = r.text
      .split("\n\n")
      .filter(Boolean)
      .map((e) => JSON.parse(e.slice(6)) as { n: number; email: string });
    expect(events).toEqual(emails.map((_, n) => ({ n, email: "[REDACTED:email]" })));
    expect(r.counts).toEqual({ email: 4 });
  });

  it("keeps an event's data JSON when a number in it matches a detector (a 16-digit id passing the card check), and masks its keys", async () => {
    const r = await through([`data: {"at":4111111111111111,"ann@example.com":2,"n":[5500000000000004]}\n\n`]);
    const data = JSON.parse(r.text.split("\n")[0].slice(6)) as Record<string, unknown>;
    expect(data).toEqual({ at: "[REDACTED:payment-card]", "[REDACTED:email]": 2, n: ["[REDACTED:payment-card]"] });
    expect(r.counts).toEqual({ "payment-card": 2, email: 1 });
  });

  it("keeps a fast stream of whole values flowing: events leave while later ones still come, not all at its end", async () => {
    const emails = Array.from({ length: 40 }, (_, i) => `member${i}@example.com`);
    const r = await through(
      emails.map((email) => `data: ${JSON.stringify({ email })}\n\n`),
      { gapMs: 10, quietMs: 1000 },
    );
    const events = r.text.split("\n\n").filter(Boolean);
    expect(events).toHaveLength(40);
    expect(r.text).not.toContain("member");
    // Released once 256 characters had followed: the first event left well before the stream ended (40 writes, 10 ms apart).
    expect(r.out[0].at).toBeLessThan(r.out.at(-1)!.at - 100);
  });

  it("leaks no part of an e-mail in 300 random streams: a field of whole values (one an event), a text streamed in pieces cut anywhere, or both", async () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), Math.floor(seed / 65536) % n);
    const word = () => Array.from({ length: 7 }, () => "abcdefghijkmnpqrstuvwxyz23456789"[rnd(32)]).join("");
    for (let round = 0; round < 300; round++) {
      const locals: string[] = [];
      const email = () => {
        const local = `q${word()}`;
        locals.push(local);
        return `${local}@${["example.com", "mail.example.org", "x.io"][rnd(3)]}`;
      };
      let values: string[];
      const family = rnd(3);
      if (family === 2) {
        // Both in one field: whole values, and values cut across events, one after another with nothing between.
        values = [];
        for (let k = 0; k < 1 + rnd(5); k++) {
          const e = email();
          if (rnd(2)) values.push(e);
          else {
            const a = 1 + rnd(e.length - 2);
            const b = a + rnd(e.length - a);
            values.push(...[e.slice(0, a), e.slice(a, b), e.slice(b)].filter(Boolean));
          }
        }
      } else if (family === 1) {
        // A field that carries one whole value an event (a record's e-mail, or a word).
        values = Array.from({ length: 1 + rnd(6) }, () => (rnd(3) ? email() : ["none", "n/a", "hello"][rnd(3)]));
      } else {
        // A text a model streams, cut into pieces anywhere (inside words and addresses too).
        const text = Array.from({ length: 2 + rnd(6) }, () => (rnd(2) ? email() : ["write to", "or", "thanks,", "cc"][rnd(4)])).join(" ");
        values = [];
        for (let i = 0; i < text.length;) {
          const n = 1 + rnd(12);
          values.push(text.slice(i, i + n));
          i += n;
        }
      }
      const r = await through(values.map((v) => `data: ${JSON.stringify({ content: v })}\n\n`));
      expect(r.text.split("\n\n").filter(Boolean)).toHaveLength(values.length);
      for (const local of locals) expect(r.text, values.join(" | ")).not.toContain(local.slice(1, 5));
      expect(r.text, values.join(" | ")).not.toMatch(/@(?:example|mail|x\.io)/);
    }
  });
});
