import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { rmSync } from "node:fs";
import pg from "pg";
import { startMariadb, type MariadbServer } from "../support/mariadb-server";
import { gatewayConnection } from "../support/mysql-client";
import { gatehouse, gatewayProcessEnv, sessionEndCounts, startGatewayProcess, type GatewayProcess } from "./gateway-process";

// The MySQL side of the kill test: mysql2 clients INSERT in a loop through a gateway killed with
// SIGKILL the moment one of them has its OK; after a restart of the same instance, every statement
// a client saw succeed has its `statement` event exactly once, and every session has one session.end.
// (The relay journals a result's event before it writes the result to the client; a kill from
// another process cannot land between the two, so this guards the journal and the restart, not that order.)
const ROUNDS = 3;
const CLIENTS = 4;
const LOAD_MS = 1500;

const pgServer = inject("pg");
let dataDir = "";
let maria: MariadbServer;
let env: Record<string, string>;
let gw: GatewayProcess | undefined;
let key: string;

beforeAll(async () => {
  maria = await startMariadb();
  await maria.admin("create table shop.t (v bigint not null)");
  ({ env, dataDir } = await gatewayProcessEnv(pgServer, { instance: "mysql-crashy", listen: ["mysql"] }));
  gw = await startGatewayProcess(env);
  const ok = async (...args: string[]) => {
    const r = await gatehouse(env, ...args);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.trim();
  };
  await ok("connections", "add", "shop", "--type", "mysql", "--url", maria.url("shop"), "--tls", "disable");
  await ok("grant", "writers", "shop");
  key = await ok("keys", "issue", "loader", "--groups", "writers");
}, 120_000);
afterAll(async () => {
  await gw?.stop();
  await maria?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** INSERTs in a loop; after LOAD_MS the gateway is killed the moment a client has its OK (that event is then at most journaled, not stored). */
async function loadUntilKilled(round: number): Promise<number[]> {
  const acked: number[] = [];
  const deadline = Date.now() + LOAD_MS;
  let killing: Promise<void> | undefined;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      const conn = await gatewayConnection(Number(env.GATEHOUSE_MYSQL_PORT), "shop", key);
      conn.on("error", () => {});
      try {
        for (let i = 0; !killing; i++) {
          const v = round * 1_000_000 + c * 100_000 + i;
          const ok = await conn.query(`insert into t values (${v})`).then(
            () => true,
            () => false,
          );
          if (!ok) break;
          acked.push(v);
          if (Date.now() > deadline) killing ??= gw!.kill9();
        }
      } finally {
        conn.destroy();
      }
    }),
  );
  await killing;
  return acked;
}

describe("[AUDIT][JOURNAL][MYSQL] a gateway killed under mysql2 INSERTs loses no acknowledged statement's event", () => {
  it(`kill -9 under ${CLIENTS} clients, ${ROUNDS} times, then restart the same instance`, async () => {
    const acked: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const got = await loadUntilKilled(round);
      expect(got.length, "the load ran").toBeGreaterThan(0);
      acked.push(...got);
      gw = await startGatewayProcess(env);
    }
    const db = new pg.Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    try {
      const { rows } = await db.query<{ statement: string; n: number }>("select statement, count(*)::int as n from audit_events where action = 'statement' and outcome = 'ok' group by statement");
      const count = new Map(rows.map((r) => [r.statement, r.n]));
      console.log(`[audit journal, mysql] ${acked.length} acknowledged INSERTs over ${ROUNDS} kills`);
      const missing = acked.filter((v) => count.get(`insert into t values (${v})`) !== 1);
      expect(missing, `of ${acked.length} acknowledged INSERTs, these have no event (or more than one)`).toEqual([]);
      const ends = await sessionEndCounts(db, "mysql-crashy", "mysql");
      expect(ends.length).toBe(ROUNDS * CLIENTS);
      expect(ends.filter((r) => r.ends !== 1)).toEqual([]);
    } finally {
      await db.end();
    }
  }, 180_000);
});
