import { describe, expect, it } from "vitest";
import { countActivity } from "./activity-noun";

describe("countActivity", () => {
  it("names what each protocol does, in the singular for one", () => {
    expect(countActivity("ssh", 9)).toBe("9 commands");
    expect(countActivity("terminal", 1)).toBe("1 command");
    expect(countActivity("postgres", 2)).toBe("2 statements");
    expect(countActivity("mysql", 0)).toBe("0 statements");
    expect(countActivity("http", 1000, true)).toBe("1,000+ requests");
    expect(countActivity("kubernetes", 3)).toBe("3 requests");
    expect(countActivity("mcp", 1)).toBe("1 tool call");
  });
});
