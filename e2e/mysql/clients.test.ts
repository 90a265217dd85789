import { afterAll, beforeAll, describe, expect, it } from "vitest";
import mysql, { type RowDataPacket } from "mysql2/promise";
import { authPlugins } from "mysql2";
import { run, startTestGateway, type TestGateway } from "../support/gateway-harness";
import { auditEventsAbout, openSeed, seedGrant, seedIdentity, type Seed, type SeededIdentity } from "../support/seed";
import { startMariadb, type MariadbServer } from "../support/mariadb-server";
import { eq } from "drizzle-orm";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { generateKeyPairSync } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { sessions } from "../../drizzle/schema/index";
import { exportAsciicast } from "../../core/recordings/export-asciicast";
import { mysql as mysqlType } from "../../core/connections/types/mysql";
import { gatewayConnection, mysqlCli, seedMysqlConnection } from "../support/mysql-client";
import { freePort } from "../support/free-port";
import { startCuttableRelay } from "../support/cuttable-relay";

// Where Debian's libmariadb keeps its client plugins (caching_sha2_password among them: they are loaded, not built in).
const PLUGIN_DIR = ["/usr/lib/x86_64-linux-gnu/libmariadb3/plugin", "/usr/lib/aarch64-linux-gnu/libmariadb3/plugin"].find((d) => existsSync(d)) ?? "/usr/lib/x86_64-linux-gnu/libmariadb3/plugin";

// Real clients (mysql2, the MariaDB `mysql` command line) through the gateway's MySQL listener to a private mariadbd.
describe("[MYSQL][CLIENTS]", () => {
  let db: MariadbServer;
  let gw: TestGateway;
  let seed: Seed;
  let agent: SeededIdentity;
  let port: number;

  beforeAll(async () => {
    db = await startMariadb();
    await db.admin(
      `create table shop.items (id int primary key, name varchar(50), note text); insert into shop.items values (1, 'pen', null), (2, 'ink', 'blue');
       set global max_allowed_packet = 64 * 1024 * 1024;`,
    );
    await db.admin("delimiter //\ncreate procedure shop.two_results() begin select 1 as a; select 'two' as b; end //\ndelimiter ;");
    gw = await startTestGateway();
    port = gw.gw.ports.mysql;
    seed = openSeed(gw);
    await seedMysqlConnection(seed, "shop-db", db, { db: "shop" });
    await seedGrant(seed, "buyers", "shop-db");
    await seedMysqlConnection(seed, "shop-tls", db, { db: "shop", tls: "require" });
    await seedMysqlConnection(seed, "shop-verified", db, { db: "shop", tls: "verify-full" });
    await seedGrant(seed, "buyers", "shop-tls");
    await seedGrant(seed, "buyers", "shop-verified");
    await seedMysqlConnection(seed, "shop-infile", db, { db: "shop", allowLocalInfile: true });
    await seedGrant(seed, "buyers", "shop-infile");
    agent = await seedIdentity(seed, "mysql-agent", ["buyers"]);
  }, 120_000);
  afterAll(async () => {
    await seed?.close();
    await gw?.close();
    await db?.stop();
  });

  it("mysql2 signs in with the key (RSA-encrypted without TLS), sees the target's version, and reads rows", async () => {
    const c = await gatewayConnection(port, "shop-db", agent.key);
    try {
      const [rows] = await c.query<RowDataPacket[]>("select id, name, note from items order by id");
      expect(rows).toEqual([
        { id: 1, name: "pen", note: null },
        { id: 2, name: "ink", note: "blue" },
      ]);
      const [[v]] = await c.query<RowDataPacket[]>("select version() as v");
      expect(v.v).toBe(db.version);
      // The greeting carries the target's own version string (MariaDB prefixes it with 5.5.5- for old replicas).
      const greeting = (c as unknown as { connection: { _handshakePacket: { serverVersion: string } } }).connection._handshakePacket;
      expect(greeting.serverVersion).toMatch(new RegExp(`^(5\\.5\\.5-)?${db.version.replace(/[.+-]/g, "\\$&")}$`));
    } finally {
      await c.end();
    }
  });

  it("a client given the gateway's public key file (mysql-rsa-public.pem) sends the password encrypted at once, also in COM_CHANGE_USER; a stale key file is refused with 1045 saying so", async () => {
    const keyFile = path.join(gw.env.GATEHOUSE_DATA_DIR, "mysql-rsa-public.pem");
    const serverPublicKey = readFileSync(keyFile, "utf8");
    expect(serverPublicKey).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    // The private key stays readable by the gateway's user only.
    expect(statSync(path.join(gw.env.GATEHOUSE_DATA_DIR, "mysql-rsa-key.pem")).mode & 0o077).toBe(0);
    const asked: Buffer[] = [];
    const withKey = (key: string) => ({
      caching_sha2_password: authPlugins.caching_sha2_password({ serverPublicKey: key, onServerPublicKey: (k: Buffer) => asked.push(k) }),
    });
    const c = await mysql.createConnection({ host: "127.0.0.1", port, user: "shop-db", password: agent.key, database: "shop", authPlugins: withKey(serverPublicKey) });
    try {
      const [[row]] = await c.query<RowDataPacket[]>("select count(*) as n from items");
      expect(row.n).toBe(2);
      await c.changeUser({ user: "shop-db", password: agent.key, database: "mysql" });
      const [[after]] = await c.query<RowDataPacket[]>("select database() as db");
      expect(after.db).toBe("mysql");
    } finally {
      await c.end();
    }
    // The key was never asked for: the file spared the round trip, and the unauthenticated fetch.
    expect(asked).toEqual([]);
    const stale = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }).toString();
    const err = await mysql.createConnection({ host: "127.0.0.1", port, user: "shop-db", password: agent.key, database: "shop", authPlugins: withKey(stale) }).then(
      (x) => (x.destroy(), null),
      (e: { errno?: number; message?: string }) => e,
    );
    expect(err?.errno).toBe(1045);
    expect(err?.message).toContain("must be the gateway's mysql-rsa-public.pem");
  });

  it("mysql2 over TLS, with prepared statements (binary protocol) and a multi-statement text", async () => {
    const c = await gatewayConnection(port, "shop-db", agent.key, { tls: true, multipleStatements: true });
    try {
      const [rows] = await c.execute<RowDataPacket[]>("select id, name from items where id = ?", [2]);
      expect(rows).toEqual([{ id: 2, name: "ink" }]);
      const [results] = await c.query<RowDataPacket[][]>("select 1 as a; select 'two' as b");
      expect(results[0]).toEqual([{ a: 1 }]);
      expect(results[1]).toEqual([{ b: "two" }]);
      await c.query("insert into items values (3, 'cap', null)");
      const [[count]] = await c.execute<RowDataPacket[]>("select count(*) as n from items");
      expect(Number(count.n)).toBe(3);
      await c.query("delete from items where id = 3");
    } finally {
      await c.end();
    }
  });

  it("the mysql command line works with and without TLS, and USE switches databases", async () => {
    for (const tls of [false, true]) {
      const r = await mysqlCli(port, "shop-db", agent.key, ["shop", "-e", "select name from items order by id; use mysql; select database()"], { tls });
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe("name\npen\nink\ndatabase()\nmysql\n");
    }
  });

  it("signs in a client that can only send its password in the clear (mysql_clear_password, chosen by a client flag), with TLS and without", async () => {
    // A plugin folder holding only the cleartext plugin: this client cannot do caching_sha2_password at all.
    const only = mkdtempSync(path.join(tmpdir(), "gatehouse-clear-only-"));
    copyFileSync(path.join(PLUGIN_DIR, "mysql_clear_password.so"), path.join(only, "mysql_clear_password.so"));
    try {
      const clear = ["--plugin-dir", only, "--default-auth=mysql_clear_password"];
      for (const tls of [false, true]) {
        const r = await mysqlCli(port, "shop-db", agent.key, [...clear, "shop", "-e", "select name from items order by id"], { tls });
        expect(r.stderr, `tls ${tls}`).toBe("");
        expect(r.stdout).toBe("name\npen\nink\n");
      }
      const wrong = await mysqlCli(port, "shop-db", "not-a-key", [...clear, "-e", "select 1"]);
      expect(wrong.stderr).toMatch(/ERROR 1045/);
    } finally {
      rmSync(only, { recursive: true, force: true });
    }
  });

  it("logs in to the target over TLS when the connection requires it, and refuses a certificate it cannot verify", async () => {
    const c = await gatewayConnection(port, "shop-tls", agent.key);
    try {
      const [[row]] = await c.query<RowDataPacket[]>("show session status like 'Ssl_cipher'");
      expect(row.Value).not.toBe("");
    } finally {
      await c.end();
    }
    const err = await gatewayConnection(port, "shop-verified", agent.key).then(
      (conn) => (conn.destroy(), null),
      (e: { errno?: number; message?: string }) => e,
    );
    expect(err?.errno).toBe(1040);
    expect(err?.message).toMatch(/connection "shop-verified" is unavailable: the target is unreachable: TLS: .*certificate/);
  });

  it("the mysql command line reads why a target refused or was lost: the target's own unknown database, the gateway's reason for an unreachable target or a refused account, a target lost mid-statement", async () => {
    // libmariadb's clients read a client-range code (2013) in a server's error packet as "Received malformed packet", dropping the reason.
    const cli = (connection: string, args: string[]) => mysqlCli(port, connection, agent.key, args);
    const unknown = await cli("shop-db", ["nosuchdb", "-e", "select 1"]);
    expect(unknown.stderr).toBe("ERROR 1049 (42000): Unknown database 'nosuchdb'\n");
    const closedPort = await freePort();
    await seedMysqlConnection(seed, "shop-closed", { ...db, url: () => `mysql://app:x@127.0.0.1:${closedPort}/shop` });
    await seedMysqlConnection(seed, "shop-wrong-account", db, { db: "shop", account: { user: db.user, password: "not-its-password" } });
    for (const name of ["shop-closed", "shop-wrong-account"]) await seedGrant(seed, "buyers", name);
    expect((await cli("shop-closed", ["-e", "select 1"])).stderr).toMatch(/^ERROR 1040 \(08004\): connection "shop-closed" is unavailable: the target is unreachable: connection refused\n$/);
    expect((await cli("shop-wrong-account", ["-e", "select 1"])).stderr).toMatch(
      /^ERROR 1040 \(08004\): connection "shop-wrong-account" is unavailable: the target refused the gateway's login: Access denied for user/,
    );
    // Lost mid-statement: the target's end of a relay between gateway and target is cut while a SLEEP runs.
    const relay = await startCuttableRelay(db.port);
    try {
      await seedMysqlConnection(seed, "shop-cut", { ...db, url: (d) => db.url(d).replace(`:${db.port}/`, `:${relay.port}/`) }, { db: "shop" });
      await seedGrant(seed, "buyers", "shop-cut");
      const running = cli("shop-cut", ["-e", "select sleep(5)"]);
      await expect.poll(() => relay.connections(), { timeout: 10_000 }).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 1000));
      relay.cut();
      const lost = await running;
      expect(lost.code).toBe(1);
      expect(lost.stderr).toContain("ERROR 1158 (08S01) at line 1: Lost connection to the target MySQL server");
    } finally {
      await relay.close();
    }
  });

  it("a pool of mysql2 connections serves parallel queries, each getting its own answer", async () => {
    const pool = mysql.createPool({ host: "127.0.0.1", port, user: "shop-db", password: agent.key, database: "shop", connectionLimit: 4 });
    try {
      const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => pool.query<RowDataPacket[]>("select ? as n, name from items where id = ?", [i, 1 + (i % 2)])));
      answers.forEach(([rows], i) => expect(rows).toEqual([{ n: i, name: i % 2 ? "ink" : "pen" }]));
    } finally {
      await pool.end();
    }
  });

  it("GATEHOUSE_REQUIRE_TLS refuses a client without TLS (3159) and serves one with it", async () => {
    const strict = await startTestGateway({ GATEHOUSE_REQUIRE_TLS: "true" }, { shareDatabaseWith: gw });
    try {
      const plain = await mysqlCli(strict.gw.ports.mysql, "shop-db", agent.key, ["-e", "select 1"]);
      expect(plain.stderr).toContain("ERROR 3159");
      const secure = await mysqlCli(strict.gw.ports.mysql, "shop-db", agent.key, ["-e", "select 'over tls' as t"], { tls: true });
      expect(secure.stdout).toBe("t\nover tls\n");
    } finally {
      await strict.close();
    }
  });

  it("audits one event per statement with rows and duration, lists the session, and exports its statement timeline", async () => {
    const r = await mysqlCli(port, "shop-db", agent.key, ["shop", "-e", "select name, 'audit_marker_1' from items; update items set note = note where id = 2 and 'audit_marker_2' <> ''"]);
    expect(r.stderr).toBe("");
    await expect.poll(async () => (await auditEventsAbout(seed, "audit_marker_2")).length, { timeout: 5000 }).toBe(1);
    const [select] = await auditEventsAbout(seed, "audit_marker_1");
    const [update] = await auditEventsAbout(seed, "audit_marker_2");
    expect([select.statementKind, select.rows, select.outcome, select.identityName, select.protocol]).toEqual(["SELECT", 2, "ok", agent.name, "mysql"]);
    expect([update.statementKind, update.rows]).toEqual(["UPDATE", 0]);
    expect(select.durationMs).toBeGreaterThanOrEqual(0);
    const [session] = await seed.db.select().from(sessions).where(eq(sessions.id, select.sessionId!));
    expect([session.protocol, session.connectionName, session.clientApp]).toEqual(["mysql", "shop-db", "mysql"]);
    let cast = "";
    await exportAsciicast(seed.db, session.id, (line) => (cast += line + "\n"));
    expect(cast).toContain("audit_marker_1");
    expect(cast).toContain("SELECT (2 rows)");
  });

  it("relays 16 MiB split packets both ways, and the several results of a stored procedure", async () => {
    const c = await gatewayConnection(port, "shop-db", agent.key);
    try {
      const big = "y".repeat(17 << 20);
      const [[row]] = await c.query<RowDataPacket[]>("select length(?) as sent, repeat('z', 17 * 1024 * 1024) as back", [big]);
      expect(Number(row.sent)).toBe(17 << 20);
      expect(row.back.length).toBe(17 << 20);
      const [results] = await c.query<RowDataPacket[][]>("call two_results()");
      expect(results[0]).toEqual([{ a: 1 }]);
      expect(results[1]).toEqual([{ b: "two" }]);
      const [executed] = await c.execute<RowDataPacket[][]>("call two_results()");
      expect(executed[1]).toEqual([{ b: "two" }]);
    } finally {
      await c.end();
    }
  });

  it("LOAD DATA LOCAL INFILE is refused unless the connection allows it, and then carries the client's file", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-infile-"));
    try {
      const file = path.join(dir, "items.tsv");
      writeFileSync(file, "10\tstamp\n11\tclip\n");
      const load = `load data local infile '${file}' into table items (id, name)`;
      const refused = await mysqlCli(port, "shop-db", agent.key, ["shop", "--local-infile=1", "-e", load]);
      expect(refused.code).not.toBe(0);
      // The target refuses it itself (the gateway did not pass the client's LOCAL INFILE capability on), and the client reads why.
      expect(refused.stderr).toContain(
        `ERROR 4166 (HY000) at line 1: Gatehouse does not pass LOAD DATA LOCAL INFILE on for connection "shop-db": it would send a file from the client's machine into the target. An admin can allow it for this connection`,
      );
      expect(refused.stderr).toContain("(the target said: The used command is not allowed because the MariaDB server or client has disabled the local infile capability)");
      // mysqlimport --local sends the same statement, and gets the same reason.
      const imported = await run("mysqlimport", [
        "--no-defaults",
        "-h",
        "127.0.0.1",
        "-P",
        String(port),
        "-u",
        "shop-db",
        `-p${agent.key}`,
        "--skip-ssl",
        "--local",
        "--columns=id,name",
        "shop",
        file,
      ]);
      expect(imported.code).not.toBe(0);
      expect(imported.stderr).toContain('Error: 4166, Gatehouse does not pass LOAD DATA LOCAL INFILE on for connection "shop-db"');
      const loaded = await mysqlCli(port, "shop-infile", agent.key, ["shop", "--local-infile=1", "-e", `${load}; select name from items where id >= 10 order by id`]);
      expect(loaded.stderr).toBe("");
      expect(loaded.stdout).toBe("name\nstamp\nclip\n");
    } finally {
      await db.admin("delete from shop.items where id >= 10");
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the console's Test connection reaches the target with the form's settings, and says why not", async () => {
    const settings = mysqlType.parseSettings({ name: "t", type: "mysql", settings: { host: "127.0.0.1", port: db.port, user: db.user, database: "shop", tls: "prefer" } });
    const form = { type: "mysql" as const, name: "t", host: "127.0.0.1", port: db.port, user: db.user, tls: "prefer" as const, allowLocalInfile: false };
    const ok = await mysqlType.test({ settings, secret: { password: db.password }, form });
    expect(ok).toMatchObject({ ok: true, serverVersion: db.version });
    const bad = await mysqlType.test({ settings, secret: { password: "wrong-password" }, form });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toContain("Access denied for user 'app'");
    expect(!bad.ok && bad.error).not.toContain("wrong-password");
  });

  it("COM_CHANGE_USER (a pool handing a connection on) re-proves the same identity and resets the target session; another identity is refused", async () => {
    const other = await seedIdentity(seed, "mysql-other", ["buyers"]);
    for (const tls of [false, true]) {
      const c = await gatewayConnection(port, "shop-db", agent.key, { tls });
      try {
        await c.query("set @left_behind = 'x'");
        await c.changeUser({ user: "shop-db", password: agent.key, database: "mysql" });
        const [[row]] = await c.query<RowDataPacket[]>("select database() as db, @left_behind as v");
        expect(row).toEqual({ db: "mysql", v: null });
        const err = await c.changeUser({ user: "shop-db", password: other.key }).then(
          () => null,
          (e: { errno?: number; message?: string }) => e,
        );
        expect(err?.errno).toBe(1045);
        expect(err?.message).toContain("may not change who is signed in");
      } finally {
        c.destroy();
      }
    }
  });

  it("refuses a wrong key, and an ungranted connection, with 1045", async () => {
    const bad = await mysqlCli(port, "shop-db", "ghk_wrong", ["-e", "select 1"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("ERROR 1045 (28000)");
    const other = await mysqlCli(port, "nowhere", agent.key, ["-e", "select 1"]);
    expect(other.stderr).toContain("ERROR 1045 (28000)");
    expect(other.stderr).toContain('connection "nowhere" does not exist');
  });
});
