import { describe, expect, it } from "vitest";
import { canonicalJson } from "./audit-chain";

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
});
