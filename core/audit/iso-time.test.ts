import { describe, expect, it } from "vitest";
import { isoTime } from "./iso-time";

describe("isoTime", () => {
  it("is toISOString, on 50,000 dates across the representable range, in and out of order", () => {
    const edges = [0, -1, 999, 1000, -1000, -62_198_755_200_000, 253_402_300_799_999, 253_402_300_800_000, 8.64e15, -8.64e15, Date.now()];
    for (const ms of edges) expect(isoTime(new Date(ms)), String(ms)).toBe(new Date(ms).toISOString());
    let t = Date.now();
    for (let i = 0; i < 50_000; i++) {
      t = i % 7 === 0 ? Math.round((Math.random() * 2 - 1) * 8.64e15) : t + Math.floor(Math.random() * 1500);
      expect(isoTime(new Date(t)), String(t)).toBe(new Date(t).toISOString());
    }
    expect(() => isoTime(new Date(Number.NaN))).toThrow(RangeError);
  });
});
