import { createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { hmacSha256 } from "./hmac-sha256";

describe("[MASKING][HMAC] the token MAC equals node:crypto's HMAC-SHA256", () => {
  it("for empty, short, block-sized and multi-block inputs", () => {
    const key = randomBytes(32);
    const mac = hmacSha256(key);
    for (const len of [0, 1, 20, 55, 56, 63, 64, 65, 119, 200, 1000]) {
      const data = randomBytes(len);
      expect(Buffer.from(mac(data)).toString("hex"), `length ${len}`).toBe(createHmac("sha256", key).update(data).digest("hex"));
    }
  });
});
