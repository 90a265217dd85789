import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { maskedUploadScan, maskedValueInBody, maskedValueInQuery } from "./masked-upload";

const json = { "content-type": "application/json" };

describe("[HTTP][MASKING][WRITE-BACK] what a request body sends back", () => {
  it("names where a JSON body, a form, a text body or a query carries a masked value", () => {
    expect(maskedValueInBody(Buffer.from('{"a":{"b":["x","**-**71-QQ"]}}'), json, 1 << 20)).toBe("$.a.b[1]");
    expect(maskedValueInBody(zlib.gzipSync('{"e":"[REDACTED:email]"}'), { ...json, "content-encoding": "gzip" }, 1 << 20)).toBe("$.e");
    expect(maskedValueInBody(Buffer.from("name=ann&email=tok_abcdefghijklmnop"), { "content-type": "application/x-www-form-urlencoded" }, 1 << 20)).toBe("form field email");
    expect(maskedValueInBody(Buffer.from("call [REDACTED:email] today"), { "content-type": "text/plain" }, 1 << 20)).toBe("the body");
    expect(maskedValueInQuery("POST", { email: ["[REDACTED:email]"] })).toBe("query parameter email");
    expect(maskedValueInQuery("GET", { q: ["[REDACTED:email]"] })).toBeNull();
  });

  it("lets real values, binary files and a text that only looks like a short partial mask through", () => {
    expect(maskedValueInBody(Buffer.from('{"e":"ann@example.com","n":"*important*"}'), json, 1 << 20)).toBeNull();
    expect(maskedValueInBody(Buffer.from("****[REDACTED]"), { "content-type": "image/png" }, 1 << 20)).toBeNull();
    // A text body is read for markers, tokens and runs of stars, not as one value.
    expect(maskedValueInBody(Buffer.from("*ABCD"), { "content-type": "text/plain" }, 1 << 20)).toBeNull();
  });

  it("reads a streamed upload for markers only: its first pieces may look like a partial mask and still be text", () => {
    const scan = maskedUploadScan();
    expect(scan(Buffer.from("**-**71-QQ"))).toBe(false);
    expect(scan(Buffer.from(" and more text, then [REDAC"))).toBe(false);
    expect(scan(Buffer.from("TED:email]"))).toBe(true);
  });
});
