import { afterAll, beforeAll, describe, expect, it } from "vitest";
import mysql, { type Connection, type RowDataPacket } from "mysql2/promise";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import type { SeededIdentity } from "../support/seed";
import { gatewayConnection } from "../support/mysql-client";
import { startMysqlSetup, type MysqlSetup } from "./mysql-setup";

/** `a` sleeps 30 s; `b` sends `KILL QUERY <a's id>`: MariaDB answers the killed SLEEP with 1 (or 1317), long before 30 s. */
async function expectKilledBy(a: Connection, b: Connection): Promise<void> {
  const started = Date.now();
  const sleeping = a.query<RowDataPacket[]>("select sleep(30) as s").then(
    ([rows]) => `returned ${rows[0].s}`,
    (e: { errno?: number }) => `failed ${e.errno}`,
  );
  await new Promise((r) => setTimeout(r, 500));
  await b.query(`KILL QUERY ${a.threadId}`);
  expect(await sleeping).toMatch(/^(returned 1|failed 1317)$/);
  expect(Date.now() - started).toBeLessThan(15_000);
}

/**
 * `a` sleeps 3 s; its thread id on the target, as `b` (any client of the account) reads it in the
 * process list, and how the sleep ends ("returned 0": not killed).
 */
async function sleepOn(a: Connection, b: Connection): Promise<{ sleeping: Promise<string>; tid: number }> {
  const sleeping = a.query<RowDataPacket[]>("select sleep(3) as s").then(
    ([rows]) => `returned ${rows[0].s}`,
    (e: { errno?: number }) => `failed ${e.errno}`,
  );
  await new Promise((r) => setTimeout(r, 300));
  const [[row]] = await b.query<RowDataPacket[]>("select id from information_schema.processlist where info like 'select sleep(3)%'");
  return { sleeping, tid: Number(row.id) };
}

/** The error number `KILL QUERY <id>` gets (null: none). */
const killErrno = (c: Connection, id: number) =>
  c.query(`KILL QUERY ${id}`).then(
    () => null,
    (e: { errno?: number }) => e.errno,
  );

// Every agent on a connection shares its target account, so a KILL there could stop another
// agent's session: the gateway maps KILL QUERY <id> to the caller's own sessions (on this
// instance or, over the bus, on another) and refuses every other form.
describe("[MYSQL][KILL]", () => {
  let setup: MysqlSetup;
  let gw: TestGateway;
  let agent: SeededIdentity;
  let port: number;

  beforeAll(async () => {
    setup = await startMysqlSetup(null, { "shop-db": { db: "shop" } }, { group: "buyers", identity: "mysql-agent" });
    ({ gw, agent, port } = setup);
  }, 120_000);
  afterAll(() => setup?.close());

  it("KILL QUERY <the id the client saw> stops that session's running query on the target; another id is refused", async () => {
    const a = await gatewayConnection(port, "shop-db", agent.key);
    const b = await gatewayConnection(port, "shop-db", agent.key);
    try {
      await expectKilledBy(a, b);
      // A lone gateway has no other instance to ask about an id it does not know: refused at once,
      // not after the 3 s it gives other instances to answer.
      const asked = performance.now();
      expect(await killErrno(b, 999999)).toBe(1094);
      expect(performance.now() - asked).toBeLessThan(2_500);
    } finally {
      await a.end();
      await b.end();
    }
  });

  it("a KILL in any other form, or naming the target's own thread id, is refused: every agent shares the connection's account there, so it could stop another's session", async () => {
    const a = await gatewayConnection(port, "shop-db", agent.key);
    const b = await gatewayConnection(port, "shop-db", agent.key, { multipleStatements: true });
    try {
      const { sleeping, tid } = await sleepOn(a, b);
      for (const [sql, errno] of [
        [`kill /**/ ${tid}`, 1094],
        [`/*!kill ${tid}*/`, 1094],
        [`KILL HARD QUERY ${tid}`, 1227],
        [`KILL QUERY ID ${tid}`, 1227],
        [`select 1; kill connection ${tid}`, 1227],
        // Run by the server from a string or a compound statement, where the gateway cannot map it.
        [`prepare s from 'kill query ${tid}'`, 1227],
        [`prepare s from "select 1; kill ${tid}"`, 1227],
        [`execute immediate 'KILL ${tid}'`, 1227],
        [`execute immediate 'execute immediate \\'kill ${tid}\\''`, 1227],
        [`begin not atomic kill query ${tid}; end`, 1227],
        [`create procedure stop_it() kill ${tid}`, 1227],
      ] as const) {
        const e = await b.query(sql).then(
          () => null,
          (err: { errno?: number }) => err.errno,
        );
        expect(e, sql).toBe(errno);
      }
      // COM_STMT_PREPARE of a KILL: it would run unmapped at COM_STMT_EXECUTE.
      const prepared = await b.prepare(`kill query ${tid}`).then(
        () => null,
        (err: { errno?: number }) => err.errno,
      );
      expect(prepared).toBe(1227);
      // Texts that only mention the word still run.
      await b.query("select 'kill 1' as k, 1 as `kill`; set @kill = 1; prepare s from 'select \\'kill\\''; execute s");
      expect(await sleeping).toBe("returned 0");
    } finally {
      await a.end();
      await b.end();
    }
  });

  it("a KILL hidden by the session's character set (GBK) is refused without a policy too: read as UTF-8 it is inside a string, so it would reach the target unmapped", async () => {
    const a = await gatewayConnection(port, "shop-db", agent.key);
    // 0xbf 0x5c is one GBK character ("縗") ending in the byte of "\\": MariaDB reading GBK closes the string there and runs the KILL.
    const b = await mysql.createConnection({ host: "127.0.0.1", port, user: "shop-db", password: agent.key, database: "shop", charset: "GBK_CHINESE_CI", multipleStatements: true });
    try {
      const { sleeping, tid } = await sleepOn(a, b);
      const err = await b.query(`select '縗' as x; kill query ${tid}; -- '`).then(
        () => null,
        (e: { errno?: number; message?: string }) => e,
      );
      expect(err?.errno).toBe(1064);
      expect(err?.message).toContain("a multi-byte character in it ends in a backslash or backtick byte");
      expect(await sleeping).toBe("returned 0");
    } finally {
      await a.end();
      await b.end();
    }
  });

  it("KILL QUERY that reaches another gateway instance (a load balancer's choice) is carried to the instance holding the session", async () => {
    const other = await startTestGateway({}, { shareDatabaseWith: gw });
    const a = await gatewayConnection(port, "shop-db", agent.key);
    const b = await gatewayConnection(other.gw.ports.mysql, "shop-db", agent.key);
    try {
      // a's id is unknown on the other instance: it asks over the bus, and the holder kills the target thread.
      await expectKilledBy(a, b);
      // An id no instance holds: refused as MariaDB would, once nobody answers.
      expect(await killErrno(b, 7)).toBe(1094);
      // Both sessions go on.
      expect((await a.query<RowDataPacket[]>("select 1 as one"))[0][0].one).toBe(1);
      expect((await b.query<RowDataPacket[]>("select 2 as two"))[0][0].two).toBe(2);
    } finally {
      await a.end();
      await b.end();
      await other.close();
    }
  }, 60_000);
});
