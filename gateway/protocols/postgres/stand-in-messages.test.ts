import { afterEach, describe, expect, it, vi } from "vitest";
import { serialize } from "pg-protocol";
import { refusedParse, refusedQuery } from "./stand-in-messages";
import { REFUSED_TEXT } from "./guard-types";

afterEach(() => vi.restoreAllMocks());

describe("stand-in messages for refused texts", () => {
  it("are the messages pg-protocol would build, for ordinary names", () => {
    expect(refusedQuery()).toEqual(serialize.query(REFUSED_TEXT));
    for (const name of ["", "s1", "a".repeat(63)]) {
      const client = serialize.parse({ name, text: "drop table users", types: [23, 25] });
      expect(refusedParse(client, 0, client.length)).toEqual(serialize.parse({ name, text: REFUSED_TEXT, types: [] }));
    }
  });

  it("keep the client's statement name byte for byte, even when it is not valid UTF-8", () => {
    const name = Buffer.from([0x73, 0xff, 0xfe, 0x31]);
    const body = Buffer.concat([name, Buffer.from([0]), Buffer.from("drop table users\0"), Buffer.from([0, 0])]);
    const client = Buffer.concat([Buffer.from([0x50, 0, 0, 0, 0]), body]);
    client.writeInt32BE(body.length + 4, 1);
    const out = refusedParse(Buffer.concat([Buffer.from("junk"), client]), 4, 4 + client.length);
    expect(out.subarray(5, 9)).toEqual(name);
    expect(out.readInt32BE(1)).toBe(out.length - 1);
  });

  it("print nothing for a long name with line breaks in it (it would land in the gateway's log)", () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const name = "x".repeat(70) + "\nFORGED LINE: audit disabled";
    const body = Buffer.from(`${name}\0drop table users\0\0\0`);
    const msg = Buffer.concat([Buffer.from([0x50, 0, 0, 0, 0]), body]);
    msg.writeInt32BE(body.length + 4, 1);
    const out = refusedParse(msg, 0, msg.length);
    expect(out.toString("utf8", 5, 5 + Buffer.byteLength(name))).toBe(name);
    expect(error).not.toHaveBeenCalled();
    expect(warn).not.toHaveBeenCalled();
  });
});
