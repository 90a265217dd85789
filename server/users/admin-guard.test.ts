import { describe, expect, it } from "vitest";
import { removesAdmin } from "./admin-guard";

describe("removesAdmin", () => {
  const admin = { role: "admin", disabledAt: null };
  it("sees a demotion or a disable of an active admin", () => {
    expect(removesAdmin(admin, { role: "auditor" })).toBe(true);
    expect(removesAdmin(admin, { disabled: true })).toBe(true);
  });
  it("ignores changes that keep the admin role or touch others", () => {
    expect(removesAdmin(admin, { role: "admin" })).toBe(false);
    expect(removesAdmin(admin, { disabled: false })).toBe(false);
    expect(removesAdmin(admin, {})).toBe(false);
    expect(removesAdmin({ role: "auditor", disabledAt: null }, { disabled: true })).toBe(false);
    expect(removesAdmin({ role: "admin", disabledAt: new Date() }, { role: "member" })).toBe(false);
  });
});
