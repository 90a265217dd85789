import { describe, expect, it } from "vitest";
import { auditFilterFromParams } from "./audit-filter";

describe("auditFilterFromParams", () => {
  it("keeps the known, non-empty filters and drops the rest", () => {
    const f = auditFilterFromParams(new URLSearchParams("format=csv&q=drop&identity=&outcome=denied&from=2026-11-22T18:00:00Z&nonsense=1"));
    expect(f).toEqual({ q: "drop", outcome: "denied", from: new Date("2026-11-22T18:00:00Z") });
  });
  it("refuses an unreadable time with a message a person can act on", () => {
    expect(() => auditFilterFromParams(new URLSearchParams("from=yesterday"))).toThrow(/ISO 8601/);
    expect(() => auditFilterFromParams(new URLSearchParams("outcome=maybe"))).toThrow();
  });
});
