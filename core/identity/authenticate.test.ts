import { describe, expect, it } from "vitest";
import { authenticate } from "./authenticate";
import { AuthError } from "./identity";
import type { Db } from "../../drizzle/client";

// Whitespace is refused before any look-up, so no database is needed: one that throws proves it is never asked.
const db = new Proxy(
  {},
  {
    get: () => () => {
      throw new Error("the database must not be asked");
    },
  },
) as unknown as Db;
const key = "ghk_" + "A".repeat(43);

describe("authenticate takes exactly the credential", () => {
  it.each([
    ["a trailing space", `${key} `],
    ["a leading space", ` ${key}`],
    ["a trailing line break", `${key}\n`],
    ["a trailing CR LF", `${key}\r\n`],
    ["a leading tab", `\t${key}`],
  ])("refuses a key with %s, saying why", async (_what, token) => {
    const err = await authenticate(token, { db }).catch((e) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toBe("the password has spaces or line breaks around the token: give the Gatehouse key or access token exactly as issued");
  });

  it("refuses an empty or blank password as no token", async () => {
    for (const token of ["", "   ", "\n"]) {
      const err = await authenticate(token, { db }).catch((e) => e);
      expect(err.message).toMatch(/^no token was given/);
    }
  });

  it("asks the database about an exact key (the look-up is reached)", async () => {
    await expect(authenticate(key, { db })).rejects.toThrow("the database must not be asked");
  });
});
