import { describe, expect, it } from "vitest";
import { recordSignIn, signInBlocked } from "./sign-in-throttle";

describe("sign-in throttle", () => {
  it("blocks an e-mail after 10 failures in 15 minutes, and forgets them after a success or the window", () => {
    const t0 = 1_000_000;
    for (let i = 0; i < 9; i++) recordSignIn("Eve@example.com", false, t0 + i);
    expect(signInBlocked("eve@example.com", t0 + 10)).toBe(false);
    recordSignIn("eve@example.com", false, t0 + 10);
    expect(signInBlocked("eve@example.com", t0 + 11)).toBe(true);
    expect(signInBlocked("eve@example.com", t0 + 15 * 60_000 + 11)).toBe(false);
    recordSignIn("eve@example.com", true, t0 + 12);
    expect(signInBlocked("eve@example.com", t0 + 13)).toBe(false);
  });
});
