import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import mysql, { type RowDataPacket } from "mysql2/promise";
import { run } from "../support/gateway-harness";
import type { SeededIdentity } from "../support/seed";
import type { MariadbServer } from "../support/mariadb-server";
import { mysqlCli, rawSocketOf } from "../support/mysql-client";
import { startMysqlSetup, type MysqlSetup } from "./mysql-setup";

// The compressed protocol (CLIENT_COMPRESS) between client and gateway: the MariaDB command line's --compress and
// mysql2's `compress`, with what the same clients get directly; and a frame that does not inflate.
describe("[MYSQL][COMPRESSION]", () => {
  let setup: MysqlSetup;
  let db: MariadbServer;
  let agent: SeededIdentity;
  let port: number;

  beforeAll(async () => {
    setup = await startMysqlSetup(
      `create table shop.items (id int primary key, name varchar(50), note text);
       insert into shop.items values (1, 'pen', null), (2, 'ink', 'blue'), (3, 'pad', repeat('lines ', 2000));
       set global max_allowed_packet = 64 * 1024 * 1024;`,
      { "shop-db": { db: "shop" }, "shop-infile": { db: "shop", allowLocalInfile: true } },
      { group: "buyers", identity: "compress-agent" },
    );
    ({ db, agent, port } = setup);
  }, 120_000);
  afterAll(() => setup?.close());

  const compressed = (opts: { tls?: boolean } = {}) =>
    mysql.createConnection({
      host: "127.0.0.1",
      port,
      user: "shop-db",
      password: agent.key,
      compress: true,
      multipleStatements: true,
      ssl: opts.tls ? { rejectUnauthorized: false } : undefined,
      connectTimeout: 10_000,
    });

  it("the mysql command line with --compress prints what it prints directly, with and without TLS", async () => {
    const sql = "select id, name, note from items order by id; select repeat('ab', 100000) as big; select @@version_comment is not null as v";
    const direct = await run("mysql", ["--no-defaults", "-h", "127.0.0.1", "-P", String(db.port), "-u", db.user, `-p${db.password}`, "--batch", "--skip-ssl", "--compress", "shop", "-e", sql]);
    expect(direct.code, direct.stderr).toBe(0);
    for (const tls of [false, true]) {
      const through = await mysqlCli(port, "shop-db", agent.key, ["--compress", "shop", "-e", sql], { tls });
      expect(through.stderr, `tls ${tls}`).toBe("");
      expect(through.stdout, `tls ${tls}`).toBe(direct.stdout);
      // The gateway offered compression and the client took it (the command line says so in its status).
      const status = await mysqlCli(port, "shop-db", agent.key, ["--compress", "-e", "status"], { tls });
      expect(status.stdout, `tls ${tls}`).toMatch(/Protocol:\s+Compressed/);
    }
  });

  it("mysql2 with compress: results arrive deflated, values past 16 MiB cross frames both ways, prepared and multi-statement texts run", async () => {
    for (const tls of [false, true]) {
      const c = await compressed({ tls });
      try {
        const socket = rawSocketOf(c);
        // A 4 MB value of one letter travels as a few KB of deflated frames.
        const before = socket.bytesRead;
        const [[row]] = await c.query<RowDataPacket[]>("select repeat('a', 4000000) as s");
        expect(row.s).toBe("a".repeat(4_000_000));
        expect(socket.bytesRead - before).toBeLessThan(100_000);
        // 17 MiB of random text (deflate barely shrinks it) up and back: packets split at 16 MiB, frames of at most 16 MiB.
        const big = randomBytes(13 << 20)
          .toString("base64")
          .slice(0, 17 << 20);
        const [[echo]] = await c.execute<RowDataPacket[]>("select length(?) as n, ? as back", [big, big]);
        expect(Number(echo.n)).toBe(17 << 20);
        expect(echo.back).toBe(big);
        const [results] = await c.query<RowDataPacket[][]>("select name from items where id = 2; select count(*) as n from items");
        expect(results[0]).toEqual([{ name: "ink" }]);
        expect(results[1]).toEqual([{ n: 3 }]);
        const [[pad]] = await c.execute<RowDataPacket[]>("select length(note) as l from items where id = ?", [3]);
        expect(Number(pad.l)).toBe(12000);
      } finally {
        await c.end();
      }
    }
  });

  it("LOAD DATA LOCAL INFILE carries a file of many frames, and COM_CHANGE_USER signs in again, compressed", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-compressed-infile-"));
    try {
      // 300,000 rows (about 5 MB): the file goes up in many packets and frames, which the target must get numbered on from its request.
      const file = path.join(dir, "rows.tsv");
      writeFileSync(file, Array.from({ length: 300_000 }, (_, i) => `${1000 + i}\trow ${i}\n`).join(""));
      const sql = `load data local infile '${file}' into table items (id, name); select count(*) as n, sum(id) as s from items where id >= 1000`;
      const loaded = await mysqlCli(port, "shop-infile", agent.key, ["shop", "--compress", "--local-infile=1", "-e", sql]);
      expect(loaded.stderr).toBe("");
      expect(loaded.stdout).toBe(`n\ts\n300000\t${300_000 * 1000 + (299_999 * 300_000) / 2}\n`);
    } finally {
      await db.admin("delete from shop.items where id >= 1000");
      rmSync(dir, { recursive: true, force: true });
    }
    const c = await compressed();
    try {
      await c.query("set @left_behind = 'x'");
      await c.changeUser({ user: "shop-db", password: agent.key, database: "mysql" });
      const [[row]] = await c.query<RowDataPacket[]>("select database() as db, @left_behind as v");
      expect(row).toEqual({ db: "mysql", v: null });
    } finally {
      c.destroy();
    }
  });

  it("a compressed frame that does not inflate ends that session with 1157; the client's other sessions go on", async () => {
    const bad = await compressed();
    const good = await compressed();
    try {
      // A frame announcing 100 bytes before compression whose body is not deflate data, then a command the gateway never reads.
      const header = Buffer.from([16, 0, 0, 0, 100, 0, 0]);
      rawSocketOf(bad).write(Buffer.concat([header, Buffer.alloc(16, 0xab)]));
      const err = await bad.query("select 1").then(
        () => null,
        (e: { errno?: number; message?: string }) => e,
      );
      expect(err?.errno, err?.message).toBe(1157);
      const [[row]] = await good.query<RowDataPacket[]>("select count(*) as n from items");
      expect(Number(row.n)).toBe(3);
    } finally {
      bad.destroy();
      await good.end();
    }
  });
});
