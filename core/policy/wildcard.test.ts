import { describe, expect, it } from "vitest";
import { wildcardPattern } from "./wildcard";
import { requestKindMatches } from "./http-request";

// The regular expressions the patterns used to compile to (see wildcardPattern and requestGlob): the answers must stay the same.
const esc = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
const asExpression = (pattern: string, dotAll: boolean) => new RegExp(`^${pattern.split("*").map(esc).join(".*")}$`, dotAll ? "is" : "i");
function kindExpression(pattern: string): RegExp {
  const [method, ...rest] = pattern.trim().split(/\s+/);
  let body = "";
  for (const seg of rest.join(" ").split("/").filter(Boolean)) body += seg === "**" ? "(?:/[^/]+)*" : "/" + esc(seg).replaceAll("*", "[^/]*");
  return new RegExp(`^${method === "*" ? "[A-Z]+" : esc(method.toUpperCase())} ${body}/?$`, "i");
}

let seed = 11;
const next = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
const text = (alphabet: string, max: number) => Array.from({ length: next(max) }, () => alphabet[next(alphabet.length)]).join("");

describe("wildcard patterns", () => {
  it("answer as their regular expressions did, on 20,000 random patterns and values", () => {
    for (let i = 0; i < 20_000; i++) {
      const pattern = text("aAb*.*\nß", 8);
      const value = text("aAbB.\n\u2028ßx", 14);
      const dotAll = i % 2 === 0;
      expect(wildcardPattern(pattern, { dotAll }).test(value), JSON.stringify({ pattern, value, dotAll })).toBe(asExpression(pattern, dotAll).test(value));
    }
  });

  it("request kinds answer as their regular expressions did, on 20,000 random kinds", () => {
    for (let i = 0; i < 20_000; i++) {
      const pattern = `${["GET", "*", "get", "POST"][next(4)]} /${Array.from({ length: next(5) }, () => ["**", "*", "a", "a*", "*b", "ab", "A*B"][next(7)]).join("/")}`;
      const kind = `${["GET", "POST", "DELETE"][next(3)]} /${Array.from({ length: next(7) }, () => text("aAbB", 4) || "a").join("/")}`;
      expect(requestKindMatches(kind, pattern), JSON.stringify({ pattern, kind })).toBe(kindExpression(pattern).test(kind));
    }
  });

  // A stall, not a speed figure: the expressions took seconds to minutes on these (time growing with a
  // power of the length); vitest's own timeout cannot interrupt synchronous code.
  it("match values and paths an agent chose in one pass", () => {
    const cases: Array<() => boolean> = [
      () => wildcardPattern("*drop*table*", { dotAll: true }).test("drop".repeat(250_000)),
      () => wildcardPattern("*a*a*a*b").test("a".repeat(1_000_000)),
      () => requestKindMatches(`GET /${"a".repeat(8000)}`, "GET /*a*a*b"),
      () => requestKindMatches(`GET ${"/a".repeat(8000)}`, "GET /**/a/**/a/**/b"),
    ];
    for (const c of cases) {
      const started = performance.now();
      expect(c()).toBe(false);
      expect(performance.now() - started).toBeLessThan(2_000);
    }
  });
});
