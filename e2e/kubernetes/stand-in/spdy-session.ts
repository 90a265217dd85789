import type { Duplex } from "node:stream";
import zlib from "node:zlib";
import { createRequire } from "node:module";

// The SPDY/3 header-compression dictionary, from spdy-transport (a devDependency). Its own parser
// insists on HTTP's `:method` and `:path` in SYN_STREAM, which Kubernetes' port-forward streams do
// not carry, so the frames are read here and only the dictionary is borrowed.
const DICTIONARY = (createRequire(import.meta.url)("spdy-transport/lib/spdy-transport/protocol/spdy/dictionary") as Record<string, Buffer>)["3.1"];

const TYPE = { synStream: 1, synReply: 2, rstStream: 3, settings: 4, ping: 6, goaway: 7, headers: 8, windowUpdate: 9 } as const;
const FLAG_FIN = 0x01;
const MAX_DATA = 64 * 1024;

export type SpdyStream = {
  id: number;
  /** Its SYN_STREAM's headers, names lower-cased as on the wire. */
  headers: Record<string, string>;
  write: (data: Buffer | string) => void;
  /** Half-closes the server's side (a DATA frame with FIN). */
  end: () => void;
  onData: (listener: (d: Buffer) => void) => void;
  /** The client half-closed its side (or reset the stream). */
  onEnd: (listener: () => void) => void;
};

/**
 * The server side of a SPDY/3.1 session on a byte stream, as much as Kubernetes' port-forward uses
 * (the stand-in API server's; no real API server runs here): the client opens streams (SYN_STREAM,
 * headers zlib-compressed with the SPDY dictionary in one context per direction), each is answered
 * with a SYN_REPLY, DATA frames carry bytes with FIN for a half-close, PINGs are echoed, RST_STREAM
 * and GOAWAY end streams. No flow control: the Go client (spdystream) sends no WINDOW_UPDATE either.
 */
export function serveSpdy(wire: Duplex, onStream: (stream: SpdyStream) => void): void {
  const inflate = zlib.createInflate({ dictionary: DICTIONARY });
  const deflate = zlib.createDeflate({ dictionary: DICTIONARY });
  const streams = new Map<number, { data: Array<(d: Buffer) => void>; end: Array<() => void>; ended: boolean }>();
  // Header blocks are inflated (and SYN_REPLYs deflated) in order, one at a time: each side's zlib context spans the session.
  let queue: Promise<void> = Promise.resolve();
  const inOrder = (step: () => Promise<void>) => (queue = queue.then(step).catch(() => void wire.destroy()));
  const zlibBlock = (z: zlib.Inflate | zlib.Deflate, block: Buffer) =>
    new Promise<Buffer>((resolve, reject) => {
      const out: Buffer[] = [];
      const take = (d: Buffer) => out.push(d);
      z.on("data", take);
      z.once("error", reject);
      z.write(block);
      z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        z.off("data", take);
        z.off("error", reject);
        resolve(Buffer.concat(out));
      });
    });
  const control = (type: number, flags: number, body: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt16BE(0x8003, 0);
    head.writeUInt16BE(type, 2);
    head.writeUInt32BE(body.length, 4);
    head[4] = flags;
    if (!wire.destroyed) wire.write(Buffer.concat([head, body]));
  };
  const data = (id: number, flags: number, payload: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(id & 0x7fffffff, 0);
    head.writeUInt32BE(payload.length, 4);
    head[4] = flags;
    if (!wire.destroyed) wire.write(Buffer.concat([head, payload]));
  };
  const ended = (id: number) => {
    const s = streams.get(id);
    if (!s || s.ended) return;
    s.ended = true;
    for (const l of s.end) l();
  };
  const opened = async (id: number, block: Buffer, fin: boolean) => {
    const headers = readHeaderBlock(await zlibBlock(inflate, block));
    const entry = { data: [] as Array<(d: Buffer) => void>, end: [] as Array<() => void>, ended: false };
    streams.set(id, entry);
    const count = Buffer.alloc(4);
    const reply = await zlibBlock(deflate, count);
    const idBuf = Buffer.alloc(4);
    idBuf.writeUInt32BE(id, 0);
    control(TYPE.synReply, 0, Buffer.concat([idBuf, reply]));
    let finished = false;
    onStream({
      id,
      headers,
      write: (d) => {
        const b = Buffer.from(d);
        for (let at = 0; at < b.length && !finished; at += MAX_DATA) data(id, 0, b.subarray(at, at + MAX_DATA));
      },
      end: () => {
        if (finished) return;
        finished = true;
        data(id, FLAG_FIN, Buffer.alloc(0));
      },
      onData: (l) => entry.data.push(l),
      onEnd: (l) => (entry.ended ? l() : entry.end.push(l)),
    });
    if (fin) ended(id);
  };
  let buf: Buffer = Buffer.alloc(0);
  wire.on("data", (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (buf.length >= 8) {
      const length = buf.readUInt32BE(4) & 0xffffff;
      if (buf.length < 8 + length) break;
      const flags = buf[4];
      const body = Buffer.from(buf.subarray(8, 8 + length));
      const isControl = (buf[0] & 0x80) !== 0;
      const word = buf.readUInt32BE(0);
      buf = buf.subarray(8 + length);
      if (!isControl) {
        const id = word & 0x7fffffff;
        // After the stream's opening: DATA waits for the SYN_STREAM's headers to be read.
        inOrder(async () => {
          const s = streams.get(id);
          if (!s) return;
          if (body.length) for (const l of s.data) l(body);
          if (flags & FLAG_FIN) ended(id);
        });
        continue;
      }
      const type = word & 0xffff;
      if (type === TYPE.synStream) inOrder(() => opened(body.readUInt32BE(0) & 0x7fffffff, body.subarray(10), (flags & FLAG_FIN) !== 0));
      else if (type === TYPE.headers) inOrder(async () => void (await zlibBlock(inflate, body.subarray(4))));
      else if (type === TYPE.ping) control(TYPE.ping, 0, body);
      else if (type === TYPE.rstStream) inOrder(async () => ended(body.readUInt32BE(0) & 0x7fffffff));
      else if (type === TYPE.goaway) wire.end();
    }
  });
  wire.once("close", () => {
    for (const id of streams.keys()) ended(id);
    inflate.close();
    deflate.close();
  });
}

/** A SPDY/3 name/value header block (after inflating): a count, then length-prefixed names and values. */
function readHeaderBlock(b: Buffer): Record<string, string> {
  const headers: Record<string, string> = {};
  let at = 4;
  const text = () => {
    const n = b.readUInt32BE(at);
    const s = b.subarray(at + 4, at + 4 + n).toString("utf8");
    at += 4 + n;
    return s;
  };
  for (let i = b.readUInt32BE(0); i > 0; i--) {
    const name = text();
    headers[name.toLowerCase()] = text().split("\0")[0];
  }
  return headers;
}
