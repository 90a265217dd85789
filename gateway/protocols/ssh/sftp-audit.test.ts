import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SftpAudit, type SftpFileEvent } from "./sftp-audit";

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const str = (s: string | Buffer) => Buffer.concat([u32(Buffer.byteLength(s)), Buffer.from(s)]);
const packet = (type: number, ...parts: Buffer[]) => {
  const body = Buffer.concat([Buffer.from([type]), ...parts]);
  return Buffer.concat([u32(body.length), body]);
};

/** Feeds `data` in pieces of the given sizes, cycling. */
function feedIn(feed: (b: Buffer) => void, data: Buffer, sizes: number[]) {
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = sizes[i % sizes.length];
    feed(data.subarray(at, at + n));
    at += n;
  }
}

describe("SftpAudit", () => {
  it("names a written file with its size, whatever the chunk boundaries", () => {
    for (const sizes of [[1], [3, 7], [13], [4096], [1 << 20]]) {
      const events: SftpFileEvent[] = [];
      const a = new SftpAudit((e) => events.push(e));
      const data = randomBytes(70_000);
      const handle = Buffer.from("h1");
      feedIn((b) => a.fromClient.feed(b), packet(3, u32(1), str("/srv/upload.bin"), u32(0x1a), u32(0)), sizes); // OPEN write|creat|trunc
      feedIn((b) => a.fromServer.feed(b), packet(102, u32(1), str(handle)), sizes); // HANDLE
      const client = Buffer.concat([
        packet(6, u32(2), str(handle), Buffer.alloc(8), str(data.subarray(0, 32_768))),
        packet(6, u32(3), str(handle), Buffer.alloc(8), str(data.subarray(32_768))),
        packet(4, u32(4), str(handle)),
        packet(200, u32(5), str("posix-rename@openssh.com"), str("/srv/a"), str("/srv/b")),
      ]);
      feedIn((b) => a.fromClient.feed(b), client, sizes);
      expect(events).toEqual([
        { op: "write", path: "/srv/upload.bin", bytes: 70_000 },
        { op: "rename", path: "/srv/a", to: "/srv/b" },
      ]);
    }
  });

  it("survives garbage and absurd lengths without throwing", () => {
    const a = new SftpAudit(() => {});
    for (let i = 0; i < 200; i++) {
      a.fromClient.feed(randomBytes(1 + (i % 97)));
      a.fromServer.feed(randomBytes(1 + (i % 53)));
    }
    a.fromClient.feed(Buffer.concat([u32(0xffffffff), Buffer.from([6]), randomBytes(300)]));
    a.fromClient.feed(Buffer.concat([u32(0), u32(1)]));
    expect(() => a.end()).not.toThrow();
  });
});
