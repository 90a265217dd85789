import { describe, expect, it } from "vitest";
import { canonicalEvent, canonicalJson, type ChainRow } from "./audit-chain";

// The chain's canonical text must stay what it was when events already stored were hashed: the
// reference below is the formula the writer used before canonicalJson (a JSON round trip, keys
// sorted, serialised again), which verification of older events still relies on.
function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sorted((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}
const reference = (v: unknown) => JSON.stringify(sorted(JSON.parse(JSON.stringify(v))));

describe("[AUDIT] the chain's canonical JSON", () => {
  it("writes what the JSON round trip with sorted keys wrote, for awkward and random values", () => {
    const awkward: unknown[] = [
      { b: 1, a: [3, { d: undefined, c: null }], "10": "x", "9": "y", "01": "z", "4294967295": 1, "4294967294": 2, "": 0, é: "ü" },
      { at: new Date(0), n: NaN, i: -Infinity, z: -0, big: 1e21, tiny: 5e-324, f: () => 1, s: Symbol("s") },
      [undefined, () => 1, "\u2028\ud800", { toJSON: () => ({ y: 1, x: 2 }) }],
      { masked: { email: 3, "payment-card": 1 }, rule: null, status: 200, path: "/v1/customers/42" },
    ];
    for (const v of awkward) expect(canonicalJson(v)).toBe(reference(v));
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const keys = ["a", "B", "10", "2", "0", "k-1", "_", "zz", "01", "ä"];
    const value = (d: number): unknown => {
      const k = rnd(d > 3 ? 5 : 7);
      if (k === 0) return keys[rnd(keys.length)] + '\n"';
      if (k === 1) return rnd(2) ? rnd(1e6) / 7 : -rnd(100);
      if (k === 2) return [true, false, null, undefined][rnd(4)];
      if (k === 3) return new Date(rnd(1e12));
      if (k === 4) return rnd(2) ? "" : 0;
      if (k === 5) return Array.from({ length: rnd(4) }, () => value(d + 1));
      return Object.fromEntries(Array.from({ length: rnd(5) }, () => [keys[rnd(keys.length)], value(d + 1)]));
    };
    for (let i = 0; i < 500; i++) {
      const v = { details: value(0) };
      expect(canonicalJson(v)).toBe(reference(v));
    }
  });

  it("writes an event's text as JSON.stringify of its values wrote it before it was written by hand", () => {
    // The formula events already stored were hashed with.
    const n = <T>(v: T | undefined): T | null => (v === undefined ? null : v);
    const before = (r: ChainRow) => {
      const head = JSON.stringify([
        typeof r.at === "string" ? r.at : r.at.toISOString(),
        r.action,
        r.outcome,
        n(r.identity_id),
        n(r.identity_name),
        n(r.groups),
        n(r.connection_name),
        n(r.session_id),
        n(r.protocol),
        n(r.client_addr),
        n(r.statement),
        n(r.statement_kind),
        r.duration_ms == null ? null : Math.fround(r.duration_ms),
        r.rows == null ? null : Number(r.rows),
        n(r.sqlstate),
        n(r.message),
      ]);
      const details = r.details == null ? "null" : (canonicalJson(r.details) ?? "null");
      return `${head.slice(0, -1)},${details},${JSON.stringify(r.instance)},${JSON.stringify(Number(r.seq))}]`;
    };
    let seed = 11;
    const rnd = (k: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % k);
    const texts = ["select 1", 'a"b', "back\\slash", "tab\there\n", "\u0000nul", "\u001f", "\ud800 lone", "pair \ud83d\ude00", "\u2028", "é ü", "", "</script>"];
    const text = () => [undefined, null, texts[rnd(texts.length)]][rnd(3)];
    const number = () => [undefined, null, 0, -0, 1.5, 0.1, NaN, Infinity, 1e21, 123456789][rnd(10)];
    for (let i = 0; i < 2000; i++) {
      const row = {
        at: rnd(2) ? new Date(rnd(1e12)) : "2026-12-07T10:00:00.000Z",
        action: texts[rnd(texts.length)],
        outcome: "ok",
        identity_id: text(),
        identity_name: text(),
        groups: [undefined, null, [], [texts[rnd(texts.length)], texts[rnd(texts.length)]]][rnd(4)] as string[] | null | undefined,
        connection_name: text(),
        session_id: text(),
        protocol: text(),
        client_addr: text(),
        statement: text(),
        statement_kind: text(),
        duration_ms: number(),
        rows: [number(), "42", "9007199254740993"][rnd(3)],
        sqlstate: text(),
        message: text(),
        details: [null, undefined, { masked: { email: rnd(5) } }][rnd(3)],
        instance: texts[rnd(texts.length)],
        seq: rnd(1e9),
      } as ChainRow;
      expect(canonicalEvent(row)).toBe(before(row));
    }
  });
});
