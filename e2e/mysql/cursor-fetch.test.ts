import { afterAll, beforeAll, describe, expect, it } from "vitest";
import mysql, { type Connection } from "mysql2/promise";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { openSeed, seedGrant, seedIdentity, seedMasking, type Seed, type SeededIdentity } from "../support/seed";
import { startMariadb, type MariadbServer } from "../support/mariadb-server";
import { gatewayConnection, rawSocketOf, seedMysqlConnection } from "../support/mysql-client";
import { PacketFramer, framePacket } from "../../gateway/protocols/mysql/packet-codec";

// Server-side cursors (COM_STMT_EXECUTE with CURSOR_TYPE_READ_ONLY, then COM_STMT_FETCH), as C
// clients and PHP's mysqli use them; mysql2 has no cursor API, so after its real sign-in the test
// writes the commands on its socket and reads the answers packet by packet, directly to the private
// MariaDB and through the gateway. The fetched rows carry no column definitions: the gateway masks
// them by the columns the execute reported.
const EMAILS = ["ann.cursor@example.com", "bob.cursor@example.com", "cy.cursor@example.com"];

let db: MariadbServer;
let gw: TestGateway;
let seed: Seed;
let agent: SeededIdentity;

beforeAll(async () => {
  db = await startMariadb();
  await db.admin(
    `create table shop.people (id int primary key, name varchar(40), email varchar(80));
     insert into shop.people values (1, 'Ann', '${EMAILS[0]}'), (2, 'Bob', '${EMAILS[1]}'), (3, 'Cy', '${EMAILS[2]}');`,
  );
  gw = await startTestGateway();
  seed = openSeed(gw);
  await seedMysqlConnection(seed, "shop", db, { db: "shop" });
  await seedGrant(seed, "agents", "shop");
  await seedMasking(seed, "shop", { detectors: { builtIn: ["email"], style: "redact" } });
  agent = await seedIdentity(seed, "cursor-agent", ["agents"]);
}, 120_000);
afterAll(async () => {
  await seed?.close();
  await gw?.close();
  await db?.stop();
});

/** mysql2 signs in; then its socket is ours: one command at a time, the answer read until the line goes quiet. */
async function rawSession(c: Connection) {
  const socket = rawSocketOf(c);
  socket.removeAllListeners("data");
  const framer = new PacketFramer(1 << 24);
  let packets: Buffer[] = [];
  socket.on("data", (d: Buffer) => packets.push(...framer.push(d).map((p) => p.payload)));
  socket.resume();
  return {
    async command(payload: Buffer): Promise<Buffer[]> {
      packets = [];
      socket.write(framePacket(payload, 0).bytes);
      let seen = -1;
      while (seen !== packets.length) {
        seen = packets.length;
        await new Promise((r) => setTimeout(r, 300));
      }
      return packets;
    },
    close: () => socket.destroy(),
  };
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
/** Binary rows of (int id, varchar name, varchar email): [id, name, email]. */
function binaryRows(packets: Buffer[]): Array<[number, string, string]> {
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

async function cursorRun(c: Connection) {
  const s = await rawSession(c);
  try {
    const prepared = await s.command(Buffer.concat([Buffer.from([0x16]), Buffer.from("select id, name, email from people order by id")]));
    expect(prepared[0][0], "prepared").toBe(0x00);
    const id = prepared[0].readUInt32LE(1);
    // COM_STMT_EXECUTE: statement id, flags CURSOR_TYPE_READ_ONLY, iteration count 1, no parameters.
    const executed = await s.command(Buffer.concat([Buffer.from([0x17]), u32(id), Buffer.from([0x01]), u32(1)]));
    expect(binaryRows(executed), "no rows before a fetch").toEqual([]);
    const fetch = (n: number) => s.command(Buffer.concat([Buffer.from([0x1c]), u32(id), u32(n)]));
    const first = binaryRows(await fetch(2));
    const rest = binaryRows(await fetch(5));
    const noCursor = await s.command(Buffer.concat([Buffer.from([0x1c]), u32(id + 100), u32(1)]));
    return { first, rest, noCursor: noCursor[0] };
  } finally {
    s.close();
  }
}

describe("[MYSQL][CURSORS] server-side cursors on a masked connection", () => {
  it("fetches the same rows as directly, in batches, with the detectors applied to the fetched values", async () => {
    const direct = await cursorRun(await mysql.createConnection({ host: "127.0.0.1", port: db.port, user: db.user, password: db.password, database: "shop" }));
    expect(direct.first).toEqual([
      [1, "Ann", EMAILS[0]],
      [2, "Bob", EMAILS[1]],
    ]);
    expect(direct.rest).toEqual([[3, "Cy", EMAILS[2]]]);

    const through = await cursorRun(await gatewayConnection(gw.gw.ports.mysql, "shop", agent.key, { database: "shop" }));
    expect(through.first.map(([i, n]) => [i, n])).toEqual([
      [1, "Ann"],
      [2, "Bob"],
    ]);
    expect(through.rest.map(([i, n]) => [i, n])).toEqual([[3, "Cy"]]);
    const emails = [...through.first, ...through.rest].map(([, , e]) => e);
    for (const e of emails) expect(EMAILS).not.toContain(e);
    expect(emails.every((e) => e.includes("REDACTED"))).toBe(true);
    // A fetch on a statement with no open cursor: refused by the gateway (it has no columns to mask by) with an ERR.
    expect(through.noCursor[0]).toBe(0xff);
    expect(through.noCursor.toString("utf8")).toContain("cannot mask this cursor's rows");
  });
});
