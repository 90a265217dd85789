import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { openSeed, seedGrant, seedIdentity, seedMasking, seedPolicy, type Seed, type SeededIdentity } from "../support/seed";
import { startMariadb, type MariadbServer } from "../support/mariadb-server";
import { seedMysqlConnection } from "../support/mysql-client";
import { run } from "../support/run-program";

const python = "/usr/bin/python3";
const probe = path.join(import.meta.dirname, "fixtures/python_mysql_probe.py");

/** One statement through a Python driver: what it prints (rows, or `error <number>`). */
const pyQuery = (driver: "pymysql" | "MySQLdb", port: number, user: string, password: string, sql: string) =>
  run(python, [
    "-c",
    `import sys, ${driver} as d
try:
    c = d.connect(host="127.0.0.1", port=int(sys.argv[1]), user=sys.argv[2], password=sys.argv[3], database="shop")
    cur = c.cursor(); cur.execute(sys.argv[4]); print(cur.fetchall())
except d.MySQLError as e:
    print("error", e.args[0])`,
    String(port),
    user,
    password,
    sql,
  ]);

// PyMySQL and mysqlclient (MySQLdb), Python's two MySQL drivers, from Debian, against a private mariadbd.
describe("[MYSQL][PYTHON] Python drivers through the gateway", () => {
  let db: MariadbServer;
  let gw: TestGateway;
  let strict: TestGateway;
  let seed: Seed;
  let agent: SeededIdentity;

  beforeAll(async () => {
    db = await startMariadb();
    await db.admin(
      `create table shop.customers (id int primary key, email varchar(80)); insert into shop.customers values (1, 'ann@example.com'), (2, 'bob@example.org');
       create table shop.victims (id int primary key); insert into shop.victims values (1), (2);`,
    );
    await db.admin("delimiter //\ncreate procedure shop.two_results() begin select 1 as a; select 'two' as b; end //\ndelimiter ;");
    gw = await startTestGateway();
    seed = openSeed(gw);
    await seedMysqlConnection(seed, "shop-db", db, { db: "shop" });
    await seedMysqlConnection(seed, "shop-guarded", db, { db: "shop" });
    for (const c of ["shop-db", "shop-guarded"]) await seedGrant(seed, "pythonistas", c);
    await seedPolicy(seed, "shop-guarded", { defaultAction: "allow", rules: [{ name: "no-delete", action: "deny", match: { kinds: ["DELETE"] } }] });
    await seedMasking(seed, "shop-guarded", { detectors: { builtIn: ["email"], style: "redact" } });
    agent = await seedIdentity(seed, "py-mysql-agent", ["pythonistas"]);
    strict = await startTestGateway({ GATEHOUSE_REQUIRE_TLS: "true" }, { shareDatabaseWith: gw });
  }, 120_000);
  afterAll(async () => {
    await strict?.close();
    await seed?.close();
    await gw?.close();
    await db?.stop();
  });

  it("see exactly what they see on a direct connection, with and without TLS, and compressed", async () => {
    // Over TLS through a gateway that refuses clients without it (3159, below): both drivers really encrypt.
    for (const [tls, port] of [
      ["plain", gw.gw.ports.mysql],
      ["tls", strict.gw.ports.mysql],
    ] as const) {
      const direct = await run(python, [probe, "127.0.0.1", String(db.port), db.user, db.password, "shop", tls]);
      expect(direct.code, direct.stderr).toBe(0);
      expect(direct.stdout).toContain("mysqlclient streamed 30000");
      expect(direct.stdout).toContain("mysqlclient compressed streamed 30000");
      expect(direct.stdout).toContain("pymysql error 1062");
      const gated = await run(python, [probe, "127.0.0.1", String(port), "shop-db", agent.key, "shop", tls]);
      expect(gated.stderr, tls).toBe("");
      expect(gated.stdout, tls).toBe(direct.stdout);
    }
  }, 120_000);

  it("get the gateway's refusals as MySQL errors, and masked values", async () => {
    const port = gw.gw.ports.mysql;
    for (const driver of ["pymysql", "MySQLdb"] as const) {
      expect((await pyQuery(driver, port, "shop-db", "not-a-key", "select 1")).stdout.trim(), driver).toBe("error 1045");
      expect((await pyQuery(driver, strict.gw.ports.mysql, "shop-db", agent.key, "select 1")).stdout.trim(), driver).toBe("error 3159");
      expect((await pyQuery(driver, port, "shop-guarded", agent.key, "delete from victims")).stdout.trim(), driver).toBe("error 1142");
      const masked = await pyQuery(driver, port, "shop-guarded", agent.key, "select email from customers order by id");
      expect(masked.stdout, driver).not.toMatch(/ann@example\.com|bob@example\.org/);
      expect(masked.stdout, driver).toMatch(/^\(\('[^']+',\), \('[^']+',\)\)$/m);
    }
    expect((await db.admin("select count(*) from shop.victims")).trim()).toBe("2");
  }, 60_000);
});
