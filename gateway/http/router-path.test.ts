import { describe, expect, it } from "vitest";
import { pathOf } from "./router";

const parsed = (t: string): string | null => {
  try {
    return new URL(t, "http://gateway").pathname;
  } catch {
    return null;
  }
};

describe("pathOf", () => {
  it("reads a request target's path exactly as the URL parser does", () => {
    for (const t of ["/proxy/c/v1/x", "/proxy/c/a/../b", "/proxy/c/%2e%2e/x", "//evil/proxy/c", "/p/a b", "/p/x?y=/../z", "/p/x#f", "/p\\..\\x", "/p/./x", "/p/.x/..y", "/p/é"]) {
      expect(pathOf(t), t).toBe(new URL(t, "http://gateway").pathname);
    }
    // A target the parser refuses (an authority with a bad host) is null, not an exception.
    for (const t of ["//%", "//a b", "//[", "//:x"]) expect(pathOf(t), t).toBeNull();
  });

  it("agrees with the URL parser on random targets built from the characters that matter", () => {
    const parts = ["/", "a", ".", "..", "%", "2e", "?", "#", "\\", " ", "~", ":", "@", "'", '"', "|", "é", "//", ";", "+", "\t", "{"];
    let seed = 7;
    const next = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    for (let i = 0; i < 20_000; i++) {
      let t = "/";
      for (let j = 1 + next(8); j > 0; j--) t += parts[next(parts.length)];
      expect(pathOf(t), t).toBe(parsed(t));
    }
  });
});
