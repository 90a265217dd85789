import { describe, expect, it } from "vitest";
import { likeEscape } from "./like-escape";

describe("likeEscape", () => {
  it("makes wildcards literal", () => {
    expect(likeEscape("100%_done")).toBe("100\\%\\_done");
    expect(likeEscape("a\\b")).toBe("a\\\\b");
    expect(likeEscape("plain text")).toBe("plain text");
  });
});
