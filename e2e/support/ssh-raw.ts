import type { Client } from "ssh2";

// SSH messages written by hand and sent on an ssh2 client's encrypted transport, for fuzzing what a
// server does with requests no well-behaved client sends (RFC 4254 message numbers).
export const MSG = {
  IGNORE: 2,
  DEBUG: 4,
  GLOBAL_REQUEST: 80,
  CHANNEL_OPEN: 90,
  CHANNEL_WINDOW_ADJUST: 93,
  CHANNEL_DATA: 94,
  CHANNEL_EXTENDED_DATA: 95,
  CHANNEL_EOF: 96,
  CHANNEL_CLOSE: 97,
  CHANNEL_REQUEST: 98,
} as const;

export const u8 = (n: number) => Buffer.from([n & 0xff]);
export const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
/** An SSH string: uint32 length, then the bytes. */
export const str = (s: string | Buffer) => {
  const b = typeof s === "string" ? Buffer.from(s, "latin1") : s;
  return Buffer.concat([u32(b.length), b]);
};

type Transport = {
  _packetRW: { write: { allocStart: number; alloc: (n: number) => Buffer; finalize: (b: Buffer) => Buffer } };
  _cipher: { encrypt: (b: Buffer) => void };
};

/** Sends one message (its payload, type byte first) on an authenticated ssh2 client's connection. */
export function sendRaw(client: Client, payload: Buffer): void {
  // ssh2 keeps its transport internal; these are the steps its own Protocol methods take (not during a key exchange).
  const t = (client as unknown as { _protocol?: Transport })._protocol;
  if (!t) return;
  const at = t._packetRW.write.allocStart;
  const packet = t._packetRW.write.alloc(payload.length);
  payload.copy(packet, at);
  t._cipher.encrypt(t._packetRW.write.finalize(packet));
}
