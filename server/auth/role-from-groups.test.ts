import { describe, expect, it } from "vitest";
import { readGroupsClaim, roleFromGroups } from "./role-from-groups";

const mapping = { admin: ["gh-admins"], approver: ["dba", "oncall"], auditor: ["security"] };

describe("roleFromGroups", () => {
  it("gives the highest mapped role, or none", () => {
    expect(roleFromGroups(["security", "gh-admins"], mapping)).toBe("admin");
    expect(roleFromGroups(["security", "oncall"], mapping)).toBe("approver");
    expect(roleFromGroups(["security"], mapping)).toBe("auditor");
    expect(roleFromGroups(["engineering"], mapping)).toBeUndefined();
  });
});

describe("readGroupsClaim", () => {
  it("accepts arrays and space- or comma-separated strings, ignores anything else", () => {
    expect(readGroupsClaim(["a", 1, "b"])).toEqual(["a", "b"]);
    expect(readGroupsClaim("a b,c")).toEqual(["a", "b", "c"]);
    expect(readGroupsClaim(undefined)).toEqual([]);
    expect(readGroupsClaim({ a: 1 })).toEqual([]);
  });
});
