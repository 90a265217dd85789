import { describe, expect, it } from "vitest";
import { targetAllowed } from "./allow-list";

describe("connector --allow", () => {
  it("allows anything without a list", () => expect(targetAllowed([], "10.1.2.3", 5432)).toBe(true));
  it("matches hosts, ports and globs", () => {
    const allow = ["db.internal:5432", "10.0.*", "cache-*:6379", "/run/postgresql"];
    expect(targetAllowed(allow, "db.internal", 5432)).toBe(true);
    expect(targetAllowed(allow, "db.internal", 22)).toBe(false);
    expect(targetAllowed(allow, "10.0.9.9", 22)).toBe(true);
    expect(targetAllowed(allow, "10.1.0.1", 22)).toBe(false);
    expect(targetAllowed(allow, "cache-a", 6379)).toBe(true);
    expect(targetAllowed(allow, "cache-a.evil", 6380)).toBe(false);
    expect(targetAllowed(allow, "/run/postgresql", 0)).toBe(true);
    expect(targetAllowed(allow, "db.internalx", 5432)).toBe(false);
  });
});
