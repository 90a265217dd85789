import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RowDataPacket } from "mysql2/promise";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { openSeed, seedGrant, seedIdentity, seedMasking, seedPolicy, type Seed, type SeededIdentity } from "../support/seed";
import { startMariadb, type MariadbServer } from "../support/mariadb-server";
import { gatewayConnection, rawSocketOf, seedMysqlConnection } from "../support/mysql-client";
import { fuzzSeed, rng, type Rng } from "../support/seeded-rng";
import { startHealthyLoop } from "../support/healthy-loop";

// A fuzzer for the MySQL listener (issue 13), like pg-fuzz for Postgres: sessions sign in for real
// (mysql2 does the handshake), then write random and mutated command packets straight onto the
// socket (bytes flipped, cut short, lengths and sequence ids that lie, random command bytes, glued
// packets) while a healthy mysql2 client queries every 20 ms and must see no failure at all; the
// target is a private MariaDB. Every other session is on a connection with a policy and masking, so
// the classifier and the masking of result sets get the garbage too. FUZZ_SEED replays a run.
const SEED = fuzzSeed();
const SESSIONS = Number(process.env.FUZZ_SESSIONS ?? 40);
const MiB = 1024 * 1024;
let db: MariadbServer;
let gw: TestGateway;
let seed: Seed;
let agent: SeededIdentity;

beforeAll(async () => {
  db = await startMariadb();
  gw = await startTestGateway({ GATEHOUSE_MAX_MESSAGE_BYTES: String(MiB), GATEHOUSE_MESSAGE_TIMEOUT_MS: "1000" });
  seed = openSeed(gw);
  await seedMysqlConnection(seed, "fuzzed-db", db, { db: "shop" });
  await seedGrant(seed, "agents", "fuzzed-db");
  await seedMysqlConnection(seed, "fuzzed-guarded", db, { db: "shop" });
  await seedGrant(seed, "agents", "fuzzed-guarded");
  await seedPolicy(seed, "fuzzed-guarded", { defaultAction: "allow", rules: [{ name: "no-drop", action: "deny", match: { kinds: ["DROP"] } }] });
  await seedMasking(seed, "fuzzed-guarded", { detectors: { builtIn: ["email"], style: "redact" } });
  agent = await seedIdentity(seed, "mysql-fuzzer", ["agents"]);
}, 120_000);
afterAll(async () => {
  await seed?.close();
  await gw?.close();
  await db?.stop();
});

/** One MySQL packet: 3-byte length, sequence id, payload (a command packet starts a sequence at 0). */
function packet(payload: Buffer, seq = 0): Buffer {
  const head = Buffer.alloc(4);
  head.writeUIntLE(payload.length, 0, 3);
  head[3] = seq;
  return Buffer.concat([head, payload]);
}
const command = (code: number, body: Buffer | string = "") => packet(Buffer.concat([Buffer.from([code]), Buffer.from(body)]));

// COM_STMT_EXECUTE of statement 1 with one integer parameter bound as text.
const execute = () => {
  const body = Buffer.from([0x17, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0xfe, 0, 1, 0x37]);
  return packet(body);
};
const VALID = [
  () => command(0x03, "select 1"),
  () => command(0x03, "select repeat('x', 100) from seq_1_to_3"),
  () => command(0x03, "select * from information_schema.tables limit 3"),
  () => command(0x16, "select ? + 1"),
  () => execute(),
  () => command(0x19, Buffer.from([1, 0, 0, 0])), // COM_STMT_CLOSE
  () => command(0x1a, Buffer.from([1, 0, 0, 0])), // COM_STMT_RESET
  () => command(0x1c, Buffer.from([1, 0, 0, 0, 10, 0, 0, 0])), // COM_STMT_FETCH
  () => command(0x0e), // COM_PING
  () => command(0x02, "shop"), // COM_INIT_DB
  () => command(0x04, "items\0"), // COM_FIELD_LIST
  () => command(0x1b, Buffer.from([1, 0])), // COM_SET_OPTION
  () => command(0x11, "someone\0\0shop\0"), // COM_CHANGE_USER
  () => command(0x03, "load data local infile '/etc/passwd' into table t"),
  () => command(0x03, ""),
  () => command(0x03, "select 'ann@example.com' as e, 1 as n; drop table if exists nothing_here"),
  () => command(0x16, "select concat(?, '@example.com') as e"),
  () => command(0x03, "/*!40000 select 'bob@example.com' */"),
] as const;

function frame(r: Rng): Buffer {
  const base = Buffer.from(r.pick(VALID)());
  switch (r.int(7)) {
    case 0: // as a driver sends it
      return base;
    case 1: // bytes flipped (the header too, sometimes)
      for (let i = 0, n = 1 + r.int(4); i < n; i++) base[r.int(base.length)] = r.int(256);
      return base;
    case 2: // cut short: the rest never comes (the message deadline ends the session)
      return base.subarray(0, 1 + r.int(base.length - 1));
    case 3: // a length that lies, up and down (a 0xffffff length announces a continued packet)
      base.writeUIntLE(r.pick([0, 1, 2, base.length + 100, 0xffffff, 0xfffffe, MiB, r.int(1 << 20)]), 0, 3);
      return base;
    case 4: // random bytes
      return r.bytes(1 + r.int(64));
    case 5: // a random command byte or sequence id
      if (base.length > 4) base[r.int(2) ? 4 : 3] = r.int(256);
      return base;
    default: // two packets glued, the first truncated
      return Buffer.concat([base.subarray(0, Math.max(1, base.length - 2)), Buffer.from(r.pick(VALID)())]);
  }
}

describe("[ABUSE][FUZZ][MYSQL] random and mutated packets after a real sign-in", () => {
  it(`never fails a healthy client or the gateway (seed ${SEED}, ${SESSIONS} sessions)`, async () => {
    const r = rng(SEED);
    const port = gw.gw.ports.mysql;
    const healthy = await gatewayConnection(port, "fuzzed-db", agent.key);
    const loop = startHealthyLoop(async (n) => {
      const [[row]] = await healthy.query<RowDataPacket[]>("select ? + 1 as n", [n]);
      if (Number(row.n) !== n + 1) return `query ${n}: ${JSON.stringify(row)}`;
    }, 20);
    const rssBefore = process.memoryUsage().rss;
    let ended = 0;
    const session = async () => {
      const c = await gatewayConnection(port, r.int(2) ? "fuzzed-guarded" : "fuzzed-db", agent.key);
      c.on("error", () => {}); // what the gateway answers garbage with is not mysql2's business
      const socket = rawSocketOf(c);
      socket.removeAllListeners("data"); // mysql2 would choke on answers to packets it never sent
      const closed = new Promise<void>((res) => socket.once("close", () => res()));
      socket.resume();
      for (let i = 0, n = 1 + r.int(12); i < n && !socket.destroyed; i++) {
        socket.write(frame(r));
        if (r.int(3) === 0) await new Promise((res) => setTimeout(res, r.int(30)));
      }
      // Whatever it sent, the session ends (the gateway or the target closes it), or the client leaves.
      const outcome = await Promise.race([closed.then(() => "closed"), new Promise((res) => setTimeout(() => res("open"), 300 + r.int(1500)))]);
      if (outcome === "closed") ended++;
      socket.destroy();
    };
    for (let i = 0; i < SESSIONS; i += 4) await Promise.all(Array.from({ length: Math.min(4, SESSIONS - i) }, session));
    const { runs: queries, failures } = await loop.stop();
    expect(failures).toEqual([]);
    expect(queries).toBeGreaterThan(10);
    // The gateway still takes new sessions, holds no partial packet, and its memory is bounded.
    const fresh = await gatewayConnection(port, "fuzzed-db", agent.key);
    const [[row]] = await fresh.query<RowDataPacket[]>("select 'alive' as s");
    expect(row.s).toBe("alive");
    await fresh.end();
    await healthy.end();
    await expect.poll(() => gw.gw.deps.buffers.inUse, { timeout: 5_000 }).toBe(0);
    const growth = (process.memoryUsage().rss - rssBefore) / MiB;
    console.log(
      `[ABUSE][FUZZ][MYSQL] seed ${SEED}: ${SESSIONS} fuzzed sessions (${ended} ended by the gateway or target), healthy client ran ${queries} queries with 0 failures; RSS +${growth.toFixed(0)} MiB`,
    );
    expect(growth).toBeLessThan(200);
  }, 120_000);
});
