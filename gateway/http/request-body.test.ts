import { describe, expect, it } from "vitest";
import { hasRepeatedKey } from "./request-body";

describe("hasRepeatedKey", () => {
  it("finds a key named twice in one object, escaped or not, at any depth", () => {
    for (const t of ['{"a":1,"a":2}', '{"a":1,"\\u0061":2}', '{"x":[{"b":{},"c":[],"b":0}]}']) expect(hasRepeatedKey(t), t).toBe(true);
    // Folded as case-insensitive binders fold them (Go: the last of mode and MODE wins).
    for (const t of ['{"mode":"normal","MODE":"force"}', '{"is":1,"iſ":2}', '{"k":1,"\u212A":2}']) expect(hasRepeatedKey(t), t).toBe(true);
  });

  it("passes the same key in different objects, and keys inside strings", () => {
    for (const t of ['{"a":1,"b":{"a":2}}', '[{"a":1},{"a":2}]', '{"x":"a\\"b","a\\"b":1}', '{"s":"{\\"a\\":1,\\"a\\":2}"}', "{}", "[]", '"a"']) expect(hasRepeatedKey(t), t).toBe(false);
  });
});
