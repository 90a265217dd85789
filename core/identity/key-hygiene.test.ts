import { describe, expect, it } from "vitest";
import { parseKeyHygiene } from "./key-hygiene";

describe("key hygiene settings", () => {
  it("defaults to 30 days and no expiry", () => expect(parseKeyHygiene({})).toEqual({ unusedDays: 30, expireUnusedDays: null }));
  it("true expires after the unused days", () => expect(parseKeyHygiene({ GATEHOUSE_KEY_UNUSED_DAYS: "45", GATEHOUSE_KEY_UNUSED_EXPIRE: "true" })).toEqual({ unusedDays: 45, expireUnusedDays: 45 }));
  it("a number of days expires after that many", () => expect(parseKeyHygiene({ GATEHOUSE_KEY_UNUSED_EXPIRE: "90" })).toEqual({ unusedDays: 30, expireUnusedDays: 90 }));
  it("false is off", () => expect(parseKeyHygiene({ GATEHOUSE_KEY_UNUSED_EXPIRE: "false" }).expireUnusedDays).toBeNull());
  it("names the variable of a bad value", () => {
    expect(() => parseKeyHygiene({ GATEHOUSE_KEY_UNUSED_DAYS: "soon" })).toThrow(/GATEHOUSE_KEY_UNUSED_DAYS/);
    expect(() => parseKeyHygiene({ GATEHOUSE_KEY_UNUSED_EXPIRE: "0" })).toThrow(/GATEHOUSE_KEY_UNUSED_EXPIRE/);
  });
});
