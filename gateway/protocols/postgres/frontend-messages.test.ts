import { describe, expect, it } from "vitest";
import { serialize } from "pg-protocol";
import { readPasswordMessage } from "./frontend-messages";

/** A PasswordMessage ('p', length, body) around any bytes, as a client could send it. */
const passwordMessage = (body: Buffer) => {
  const head = Buffer.alloc(5);
  head[0] = 0x70;
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
};

describe("readPasswordMessage", () => {
  it("reads the password of a message as drivers send it", () => {
    expect(readPasswordMessage(serialize.password("ghk_abc"))).toEqual({ ok: true, password: "ghk_abc" });
    expect(readPasswordMessage(serialize.password(""))).toEqual({ ok: true, password: "" });
  });

  it("keeps spaces inside the string (authentication decides about them)", () => {
    expect(readPasswordMessage(serialize.password(" ghk_abc "))).toEqual({ ok: true, password: " ghk_abc " });
  });

  it("refuses bytes after the terminating NUL", () => {
    expect(readPasswordMessage(passwordMessage(Buffer.from("ghk_abc\0junk")))).toEqual({ ok: false, problem: "the password message has 4 bytes after its terminating NUL" });
    expect(readPasswordMessage(passwordMessage(Buffer.from("ghk_abc\0\0")))).toEqual({ ok: false, problem: "the password message has 1 byte after its terminating NUL" });
    expect(readPasswordMessage(passwordMessage(Buffer.from("ghk_abc\0other-key\0")))).toMatchObject({ ok: false });
  });

  it("refuses a message without a terminating NUL", () => {
    expect(readPasswordMessage(passwordMessage(Buffer.from("ghk_abc")))).toEqual({ ok: false, problem: "the password message has no terminating NUL" });
    expect(readPasswordMessage(passwordMessage(Buffer.alloc(0)))).toMatchObject({ ok: false });
  });
});
