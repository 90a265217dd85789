import { afterAll, beforeAll, describe, expect, it } from "vitest";
import mariadb, { type Connection, type ConnectionConfig } from "mariadb";
import type { TestGateway } from "../support/gateway-harness";
import type { SeededIdentity } from "../support/seed";
import type { MariadbServer } from "../support/mariadb-server";
import { startDriverTargets, type DriverTargets } from "./driver-targets";

// The MariaDB Foundation's Node.js connector (npm `mariadb`): its own handshake (caching_sha2_password with
// the server's RSA key, or over TLS), pipelined commands, the binary protocol, batches, streams and a pool,
// against a private mariadbd, compared with the same calls made directly.
describe("[MYSQL][MARIADB-CONNECTOR]", () => {
  let t: DriverTargets;
  let db: MariadbServer;
  let gw: TestGateway;
  let agent: SeededIdentity;

  beforeAll(async () => {
    t = await startDriverTargets(
      `create table shop.items (id int primary key, name varchar(50), made datetime, doc json, raw blob, price decimal(8, 2));
       insert into shop.items values (1, 'pen', '2024-01-02 03:04:05', '{"a": 1}', x'00ff', 1.50), (2, 'ink', null, null, null, null);
       create table shop.people (id int primary key, code varchar(20), email varchar(80), profile json, prefs json);
       insert into shop.people values (1, 'QX-1234-ZZ', 'ann.private@example.com', '{"pin": "7781"}', '{"contact": "ann.private@example.com", "theme": "dark"}');`,
      {
        columns: [
          { column: "people.code", style: "redact" },
          { column: "people.profile", style: "redact" },
        ],
        detectors: { builtIn: ["email"], style: "redact" },
      },
    );
    ({ db, gw, agent } = t);
  }, 120_000);
  afterAll(() => t?.close());

  const through = (connection: string, o: Partial<ConnectionConfig> = {}) =>
    mariadb.createConnection({ host: "127.0.0.1", port: gw.gw.ports.mysql, user: connection, password: agent.key, database: "shop", allowPublicKeyRetrieval: true, ...o });
  const direct = () => mariadb.createConnection({ host: "127.0.0.1", port: db.port, user: db.user, password: db.password, database: "shop" });
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => null,
      (e: { errno?: number; sqlState?: string; text?: string }) => e,
    );

  it("answers text and binary queries, streams and batches as the server does, with and without TLS (JSON columns parsed)", async () => {
    const want = await direct();
    try {
      for (const ssl of [false, true]) {
        const c = await through("shop-db", ssl ? { ssl: { rejectUnauthorized: false } } : {});
        try {
          expect(await c.query("select * from items order by id"), `ssl ${ssl}`).toEqual(await want.query("select * from items order by id"));
          // execute(): COM_STMT_PREPARE and COM_STMT_EXECUTE pipelined, the execute naming the statement prepared last (id 0xffffffff).
          expect(await c.execute("select name, price from items where id = ?", [2])).toEqual(await want.execute("select name, price from items where id = ?", [2]));
          const ids = ssl ? [11, 12] : [21, 22];
          const batch = await c.batch("insert into items (id, name) values (?, ?)", [
            [ids[0], "a"],
            [ids[1], "b"],
          ]);
          expect(Number((Array.isArray(batch) ? batch : [batch]).reduce((n, r) => n + Number(r.affectedRows), 0))).toBe(2);
          const streamed: unknown[] = [];
          for await (const row of c.queryStream("select id from items order by id")) streamed.push(row);
          expect(streamed).toEqual(await want.query("select id from items order by id"));
          // The target's own error, as the server numbers it.
          const err = await failure(c.query("select nosuch from items"));
          expect(err).toMatchObject({ errno: 1054, sqlState: "42S22" });
        } finally {
          await c.end();
        }
      }
    } finally {
      await want.end();
    }
  });

  it("a pool serves parallel queries, each its own answer", async () => {
    const pool = mariadb.createPool({ host: "127.0.0.1", port: gw.gw.ports.mysql, user: "shop-db", password: agent.key, database: "shop", allowPublicKeyRetrieval: true, connectionLimit: 3 });
    try {
      const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => pool.query("select ? as i, sleep(0.01) as s", [i])));
      expect(answers.map((rows) => Number((rows as Array<{ i: number }>)[0].i))).toEqual(Array.from({ length: 12 }, (_, i) => i));
    } finally {
      await pool.end();
    }
  });

  it("refuses a wrong key with 1045, a denied statement with 1142 naming the rule, and masks what it reads", async () => {
    const wrong = await failure(mariadb.createConnection({ host: "127.0.0.1", port: gw.gw.ports.mysql, user: "shop-db", password: "not-a-key", allowPublicKeyRetrieval: true }));
    expect(wrong).toMatchObject({ errno: 1045 });
    let c: Connection = await through("shop-guarded");
    try {
      const denied = await failure(c.query("delete from items where id = 1"));
      expect(denied).toMatchObject({ errno: 1142 });
      expect(denied!.text).toContain('rule "no-delete"');
      const deniedPrepared = await failure(c.execute("delete from items where id = ?", [2]));
      expect(deniedPrepared).toMatchObject({ errno: 1142 });
      expect(await c.query("select count(*) as n from items where id in (1, 2)")).toEqual([{ n: 2n }]);
    } finally {
      await c.end();
    }
    c = await through("shop-masked");
    try {
      const shown = JSON.stringify([await c.query("select code, email from people"), await c.execute("select concat(code, '!') as c, email from people where id = ?", [1])]);
      expect(shown).not.toContain("QX-1234-ZZ");
      expect(shown).not.toContain("ann.private@example.com");
      expect(shown).toContain("[REDACTED");
      // JSON columns come parsed, as directly (MariaDB's extended metadata says they are JSON): masked whole, the
      // value is a JSON string; masked by the detectors, the document keeps its shape.
      expect(await c.query("select profile, prefs from people")).toEqual([{ profile: "[REDACTED]", prefs: { contact: "[REDACTED:email]", theme: "dark" } }]);
    } finally {
      await c.end();
    }
  });
});
