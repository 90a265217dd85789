import { afterAll, beforeAll, describe, expect, it } from "vitest";
import net from "node:net";
import type { Connection, RowDataPacket } from "mysql2/promise";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { openSeed, seedGrant, seedIdentity, type Seed, type SeededIdentity } from "../support/seed";
import { startMariadb, type MariadbServer } from "../support/mariadb-server";
import { gatewayConnection, seedMysqlConnection } from "../support/mysql-client";

// Malformed input gets a protocol error for that client alone: a session opened before keeps working.
describe("[MYSQL][BAD-INPUT]", () => {
  let db: MariadbServer;
  let gw: TestGateway;
  let seed: Seed;
  let agent: SeededIdentity;
  let port: number;
  let bystander: Connection;

  beforeAll(async () => {
    db = await startMariadb();
    gw = await startTestGateway({ GATEHOUSE_MAX_MESSAGE_BYTES: String(1 << 20), GATEHOUSE_MESSAGE_TIMEOUT_MS: "1500" });
    port = gw.gw.ports.mysql;
    seed = openSeed(gw);
    await seedMysqlConnection(seed, "shop-db", db, { db: "shop" });
    await seedGrant(seed, "agents", "shop-db");
    agent = await seedIdentity(seed, "fuzzy-agent", ["agents"]);
    bystander = await gatewayConnection(port, "shop-db", agent.key);
  }, 120_000);
  afterAll(async () => {
    await bystander?.end().catch(() => {});
    await seed?.close();
    await gw?.close();
    await db?.stop();
  });

  const stillServes = async () => {
    const [[row]] = await bystander.query<RowDataPacket[]>("select 'alive' as s");
    expect(row.s).toBe("alive");
    const fresh = await gatewayConnection(port, "shop-db", agent.key);
    await fresh.end();
  };

  /** Sends raw bytes as soon as connected and collects what the gateway answers until it closes. */
  const rawExchange = (bytes: Buffer) =>
    new Promise<Buffer>((resolve, reject) => {
      const s = net.connect({ host: "127.0.0.1", port }, () => s.write(bytes));
      const got: Buffer[] = [];
      s.on("data", (d) => got.push(d));
      s.on("close", () => resolve(Buffer.concat(got)));
      s.on("error", reject);
      setTimeout(() => (s.destroy(), reject(new Error("the gateway did not close the connection"))), 15_000);
    });
  /** The ERR packets (error number, message) in what the gateway sent. */
  const errors = (bytes: Buffer) => {
    const out: Array<[number, string]> = [];
    for (let i = 0; i + 4 <= bytes.length;) {
      const len = bytes.readUIntLE(i, 3);
      const payload = bytes.subarray(i + 4, i + 4 + len);
      if (payload[0] === 0xff) out.push([payload.readUInt16LE(1), payload.toString("utf8", 9)]);
      i += 4 + len;
    }
    return out;
  };

  it("garbage before the handshake, and a truncated handshake response: Bad handshake (1043) for that client", async () => {
    expect(errors(await rawExchange(Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n")))).toEqual([[1043, "Bad handshake"]]);
    const truncated = Buffer.from([5, 0, 0, 1, 0x00, 0x02, 0x00, 0x00, 0x01]); // capabilities with protocol 4.1, then nothing
    expect(errors(await rawExchange(truncated))).toEqual([[1043, "Bad handshake"]]);
    await stillServes();
  });

  it("a command with a wrong sequence id ends that session with 1156", async () => {
    const c = await gatewayConnection(port, "shop-db", agent.key);
    const core = (c as unknown as { connection: NodeJS.EventEmitter & { stream: net.Socket } }).connection;
    const failed = new Promise<{ code?: unknown }>((resolve) => core.on("error", resolve));
    const sql = Buffer.from("\x03select 1");
    core.stream.write(Buffer.concat([Buffer.from([sql.length, 0, 0, 5]), sql]));
    expect((await failed).code).toBe(1156);
    await stillServes();
  });

  it("a packet over GATEHOUSE_MAX_MESSAGE_BYTES is refused with 1153 and ends that session", async () => {
    const c = await gatewayConnection(port, "shop-db", agent.key);
    const err = await c.query(`select '${"x".repeat(2 << 20)}'`).then(
      () => null,
      (e: { errno?: number; code?: unknown }) => e,
    );
    expect(err?.errno ?? err?.code).toBe(1153);
    await stillServes();
  });

  it("a packet started and not finished within GATEHOUSE_MESSAGE_TIMEOUT_MS ends that session with 1159", async () => {
    const c = await gatewayConnection(port, "shop-db", agent.key);
    const core = (c as unknown as { connection: NodeJS.EventEmitter & { stream: net.Socket } }).connection;
    const failed = new Promise<{ code?: unknown }>((resolve) => core.on("error", resolve));
    const started = Date.now();
    core.stream.write(Buffer.concat([Buffer.from([100, 0, 0, 0, 0x03]), Buffer.from("select")]));
    expect((await failed).code).toBe(1159);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    await stillServes();
  });

  it("a malformed prepared-statement command is refused and the session goes on", async () => {
    const c = await gatewayConnection(port, "shop-db", agent.key);
    try {
      const core = (c as unknown as { connection: { stream: net.Socket } }).connection;
      // COM_STMT_CLOSE expects a 4-byte statement id and has no answer; a truncated one gets an ERR instead of crashing anything.
      core.stream.write(Buffer.from([2, 0, 0, 0, 0x19, 0x01]));
      await new Promise((r) => setTimeout(r, 200));
      await stillServes();
    } finally {
      c.destroy();
    }
  });
});
