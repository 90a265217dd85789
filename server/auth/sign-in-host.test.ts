import { describe, expect, it } from "vitest";
import { signInElsewhere } from "./sign-in-host";

describe("[AUTH][HOST] the sign-in page under another loopback name", () => {
  it("sends 127.0.0.1 and [::1] to AUTH_URL's localhost, with the page's parameters", () => {
    expect(signInElsewhere("http://localhost:3000", "127.0.0.1:3000", { callbackUrl: "/audit" })).toBe("http://localhost:3000/sign-in?callbackUrl=%2Faudit");
    expect(signInElsewhere("http://localhost:3000", "[::1]:3000", {})).toBe("http://localhost:3000/sign-in");
    expect(signInElsewhere("http://127.0.0.1:3000", "localhost:3000", {})).toBe("http://127.0.0.1:3000/sign-in");
  });

  it("leaves the right host, other ports, other names (a reverse proxy) and a missing AUTH_URL alone", () => {
    expect(signInElsewhere("http://localhost:3000", "localhost:3000", {})).toBeUndefined();
    expect(signInElsewhere("http://localhost:3000", "127.0.0.1:4000", {})).toBeUndefined();
    expect(signInElsewhere("https://gatehouse.example.com", "10.0.0.5:3000", {})).toBeUndefined();
    expect(signInElsewhere(undefined, "127.0.0.1:3000", {})).toBeUndefined();
  });
});
