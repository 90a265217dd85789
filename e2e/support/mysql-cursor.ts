import { setTimeout as sleep } from "node:timers/promises";
import type { Connection } from "mysql2/promise";
import { PacketFramer, framePacket } from "../../gateway/protocols/mysql/packet-codec";
import { rawSocketOf } from "./mysql-client";

// Server-side cursors (COM_STMT_EXECUTE with CURSOR_TYPE_READ_ONLY, then COM_STMT_FETCH), as C
// clients and PHP's mysqli use them; mysql2 has no cursor API, so after its real sign-in the test
// writes the commands on its socket and reads the answers packet by packet.

/**
 * mysql2 signs in; then its socket is ours: one command at a time. The answer is read until `done`
 * says it is whole (by default: its first packet has come), then until the line has been quiet for
 * 300 ms, so that a packet the command should not have produced is seen too. On a loaded machine the
 * first packet can take longer than the quiet period, so the wait for it is bounded only by 20 s.
 */
export async function rawSession(c: Connection) {
  const socket = rawSocketOf(c);
  socket.removeAllListeners("data");
  const framer = new PacketFramer(1 << 24);
  let packets: Buffer[] = [];
  socket.on("data", (d: Buffer) => packets.push(...framer.push(d).map((p) => p.payload)));
  socket.resume();
  return {
    async command(payload: Buffer, done: (packets: Buffer[]) => boolean = (p) => p.length > 0): Promise<Buffer[]> {
      packets = [];
      socket.write(framePacket(payload, 0).bytes);
      const deadline = Date.now() + 20_000;
      while (!done(packets)) {
        if (Date.now() > deadline) throw new Error(`no whole answer to command 0x${payload[0].toString(16)} in 20 s (${packets.length} packets)`);
        await sleep(20);
      }
      let seen = -1;
      while (seen !== packets.length) {
        seen = packets.length;
        await sleep(300);
      }
      return packets;
    },
    close: () => socket.destroy(),
  };
}

export const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};

/** Binary rows of (int, short string, short string): [int, string, string]. */
export function binaryRows(packets: Buffer[]): Array<[number, string, string]> {
  return packets
    .filter((p) => p[0] === 0x00 && p.length > 8)
    .map((p) => {
      let at = 1 + 1; // header, then a null bitmap of (3 + 7 + 2) / 8 = 1 byte
      const id = p.readInt32LE(at);
      at += 4;
      const str = () => {
        const len = p[at];
        const s = p.subarray(at + 1, at + 1 + len).toString("utf8");
        at += 1 + len;
        return s;
      };
      return [id, str(), str()];
    });
}

/**
 * Prepares `sql` (three columns: int, string, string), executes it with a read-only cursor and
 * fetches its rows 2, then 5 at a time; then fetches on a statement id with no cursor. Throws when
 * the prepare fails or the execute already sends rows. `beforeFetch` runs between the execute and the first fetch.
 */
export async function cursorRun(c: Connection, sql: string, opts: { beforeFetch?: () => Promise<void> } = {}) {
  const s = await rawSession(c);
  try {
    const prepared = await s.command(Buffer.concat([Buffer.from([0x16]), Buffer.from(sql)]));
    if (prepared[0][0] !== 0x00) throw new Error(`prepare failed: ${prepared[0].toString("utf8")}`);
    const id = prepared[0].readUInt32LE(1);
    // COM_STMT_EXECUTE: statement id, flags CURSOR_TYPE_READ_ONLY, iteration count 1, no parameters.
    const executed = await s.command(Buffer.concat([Buffer.from([0x17]), u32(id), Buffer.from([0x01]), u32(1)]));
    if (binaryRows(executed).length) throw new Error("rows came before a fetch");
    // A fetch's answer ends with an EOF (or an OK under the 0xfe header) or an error.
    const ended = (p: Buffer[]) => p.some((x) => x[0] === 0xff || (x[0] === 0xfe && x.length < 9));
    const fetch = (n: number) => s.command(Buffer.concat([Buffer.from([0x1c]), u32(id), u32(n)]), ended);
    await opts.beforeFetch?.();
    const firstAnswer = await fetch(2);
    const first = binaryRows(firstAnswer);
    const rest = binaryRows(await fetch(5));
    const noCursor = await s.command(Buffer.concat([Buffer.from([0x1c]), u32(id + 100), u32(1)]));
    return { first, rest, noCursor: noCursor[0], firstAnswer: firstAnswer[0] };
  } finally {
    s.close();
  }
}
