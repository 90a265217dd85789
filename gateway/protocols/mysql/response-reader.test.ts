import { describe, expect, it } from "vitest";
import { lenencBytes } from "./packet-codec";
import { ResponseReader } from "./response-reader";
import { parseColumnDef } from "./column-definition";

const text = (s: string) => lenencBytes(Buffer.from(s));
/** A column definition (protocol 4.1), with MariaDB's extended metadata block when `metadata` is given. */
function definition(name: string, type: number, metadata?: Array<[number, string]>): Buffer {
  const names = Buffer.concat(["def", "shop", "people", "people", name, name].map(text));
  const block = metadata ? lenencBytes(Buffer.concat(metadata.map(([kind, value]) => Buffer.concat([Buffer.from([kind]), text(value)])))) : Buffer.alloc(0);
  const fixed = Buffer.from([0x0c, 0x21, 0x00, 0xff, 0xff, 0xff, 0xff, type, 0, 0, 0, 0, 0]);
  return Buffer.concat([names, block, fixed]);
}

describe("MariaDB's extended column metadata", () => {
  it("is read past the names: a JSON format makes the column JSON, a type name changes nothing", () => {
    expect(parseColumnDef(definition("profile", 0xfc, [[1, "json"]]), true)).toMatchObject({ orgName: "profile", type: 0xf5 });
    expect(parseColumnDef(definition("spot", 0xff, [[0, "point"]]), true)).toMatchObject({ orgName: "spot", type: 0xff });
    expect(parseColumnDef(definition("note", 0xfc, []), true)).toMatchObject({ orgName: "note", type: 0xfc });
    expect(parseColumnDef(definition("note", 0xfc), false)).toMatchObject({ orgName: "note", type: 0xfc });
  });

  it("gets an empty block added for a client that expects it from a target that sends none, in results, prepares and field lists", () => {
    const reader = new ResponseReader(true, () => {}, { target: false, client: true });
    const plain = definition("email", 0xfd);
    const withBlock = definition("email", 0xfd, []);
    reader.start({ kind: "results", binary: false }, null);
    expect(reader.feed(Buffer.from([1]))).toBeNull();
    expect(reader.feed(plain)).toEqual(withBlock);
    reader.start({ kind: "prepare" }, null);
    expect(reader.feed(Buffer.from([0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0]))).toBeNull(); // statement 1: one column, one parameter
    expect(reader.feed(plain)).toEqual(withBlock);
    expect(reader.feed(plain)).toEqual(withBlock);
    expect(reader.done).toBe(true);
    reader.start({ kind: "rows-until-eof", binary: false, definitions: true }, null);
    expect(reader.feed(plain)).toEqual(withBlock);
    // The client's view and the target's agree: relayed as they come.
    const agreed = new ResponseReader(true, () => {}, { target: true, client: true });
    agreed.start({ kind: "results", binary: false }, null);
    agreed.feed(Buffer.from([1]));
    expect(agreed.feed(withBlock)).toBeNull();
  });
});
