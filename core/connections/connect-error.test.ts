import { describe, expect, it } from "vitest";
import { describeConnectError } from "./connect-error";

describe("describeConnectError", () => {
  it("joins the parts of an AggregateError, whose own message is empty", () => {
    const err = new AggregateError([new Error("connect ECONNREFUSED ::1:5999"), new Error("connect ECONNREFUSED 127.0.0.1:5999")], "");
    expect(describeConnectError(err)).toBe("connect ECONNREFUSED ::1:5999; connect ECONNREFUSED 127.0.0.1:5999");
  });

  it("keeps the target's message as it is", () => {
    expect(describeConnectError(new Error('password authentication failed for user "app"'))).toBe('password authentication failed for user "app"');
  });

  it("never shows a secret the message happens to contain", () => {
    expect(describeConnectError(new Error("role hunter2 does not exist, hunter2"), ["hunter2"])).toBe("role [secret] does not exist, [secret]");
  });

  it("says what a timeout means", () => {
    expect(describeConnectError(new Error("Connection terminated due to connection timeout"))).toMatch(/no answer within 5 s/);
  });

  it("copes with things that are not errors", () => {
    expect(describeConnectError("boom")).toBe("boom");
  });
});
