import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../support/gateway-harness";
import type { SeededIdentity } from "../support/seed";
import type { MariadbServer } from "../support/mariadb-server";
import { mysqlCli } from "../support/mysql-client";
import { startMysqlSetup, type MysqlSetup } from "./mysql-setup";

// mysqldump through the gateway (its output is full of executable comments, LOCK TABLES, session
// settings), restored through the gateway under a guardrail policy, compared with a direct dump.
describe("[MYSQL][MYSQLDUMP]", () => {
  let setup: MysqlSetup;
  let db: MariadbServer;
  let agent: SeededIdentity;
  let port: number;

  beforeAll(async () => {
    setup = await startMysqlSetup(
      `create table shop.orders (id int primary key auto_increment, customer varchar(50) not null, total decimal(10,2), placed datetime, note text, blob_col blob);
       insert into shop.orders (customer, total, placed, note, blob_col) values ('ann', 12.50, '2026-01-02 03:04:05', 'it''s "quoted";\\n--not a comment', x'00ff10'), ('bob', null, null, null, null);
       create index orders_customer on shop.orders (customer);
       create table shop.bulk (id int primary key, label varchar(60), amount decimal(10,2), flag bit(1), raw varbinary(4));
       insert into shop.bulk select seq, concat('row ', seq, ' ''quoted'' ),(', if(seq % 7 = 0, null, 'x')), seq * 1.25, seq % 2, if(seq % 3 = 0, null, unhex('00ff')) from mysql.seq_1_to_3000;
       create database restored;`,
      {
        // A policy makes the gateway parse everything (fail closed): the dump and the restore must still pass.
        dumpable: { policy: { defaultAction: "allow", rules: [{ name: "no-drop-database", action: "deny", match: { kinds: ["DROP DATABASE"] } }] } },
        "dumpable-masked": { masking: { columns: [{ column: "orders.customer", style: "redact" }] } },
        // Guardrails on, DROP DATABASE allowed: what it cannot read is still refused (fail closed).
        restorable: { policy: { defaultAction: "allow", rules: [{ name: "no-truncate", action: "deny", match: { kinds: ["TRUNCATE"] } }] } },
      },
      { group: "dba", identity: "dump-agent" },
    );
    ({ db, agent, port } = setup);
  }, 120_000);
  afterAll(() => setup?.close());

  const dumpArgs = ["--no-defaults", "--skip-dump-date", "--single-transaction", "--skip-comments"];
  const direct = (database: string) => run("mysqldump", [...dumpArgs, "-uroot", `--socket=${db.socket}`, database]);

  it("dumps through the gateway exactly what a direct dump shows, and restores through it", async () => {
    const through = await run("mysqldump", [...dumpArgs, "-h", "127.0.0.1", "-P", String(port), "-u", "dumpable", `-p${agent.key}`, "--skip-ssl", "shop"]);
    expect(through.stderr).toBe("");
    const reference = await direct("shop");
    expect(through.stdout).toBe(reference.stdout);
    expect(through.stdout).toContain("/*!40000 ALTER TABLE `orders` DISABLE KEYS */");
    // The bulk table comes as extended INSERTs of many rows, judged by their first row (grammarForm's firstLiteralRow).
    expect(through.stdout).toMatch(/INSERT INTO `bulk` VALUES\s*\(1,'row 1 (?:''|\\')quoted(?:''|\\') \),\(x',1\.25,/);

    const restore = await mysqlCli(port, "dumpable", agent.key, ["restored"], { input: through.stdout });
    expect(restore.stderr).toBe("");
    const restoredDump = await direct("restored");
    expect(restoredDump.stdout).toBe(reference.stdout);
  });

  it("dumps through a connection with column rules: the direct dump with only the covered values masked", async () => {
    const through = await run("mysqldump", [...dumpArgs, "-h", "127.0.0.1", "-P", String(port), "-u", "dumpable-masked", `-p${agent.key}`, "--skip-ssl", "shop"]);
    expect(through.stderr).toBe("");
    const reference = await direct("shop");
    expect(through.stdout).toBe(reference.stdout.replace("(1,'ann',", "(1,'[REDACTED]',").replace("(2,'bob',", "(2,'[REDACTED]',"));
    expect(through.stdout).toContain("(2,'[REDACTED]',NULL");
    expect(through.stdout).toContain("CREATE TABLE `orders`");
  });

  it("dumps a database with its routines, events, triggers and DROP DATABASE (--databases --routines --events --add-drop-database) and restores it through guardrails", async () => {
    await db.admin(
      `create database routines_src;
       create table routines_src.t (id int primary key);
       insert into routines_src.t values (1), (2);
       create procedure routines_src.count_t() select count(*) from routines_src.t;
       create function routines_src.plus_one(x int) returns int deterministic return x + 1;
       create trigger routines_src.t_positive before insert on routines_src.t for each row set new.id = abs(new.id);
       create event routines_src.nightly on schedule every 1 day do delete from routines_src.t where id < 0;`,
    );
    const args = [...dumpArgs, "--routines", "--events", "--triggers", "--add-drop-database", "--databases", "routines_src"];
    const directDump = () => run("mysqldump", [...args, "-uroot", `--socket=${db.socket}`]);
    const reference = await directDump();
    expect(reference.stdout).toContain("DROP DATABASE IF EXISTS `routines_src`");
    expect(reference.stdout).toContain("DROP PROCEDURE IF EXISTS `count_t`");
    expect(reference.stdout).toContain("DROP EVENT IF EXISTS `nightly`");
    expect(reference.stdout).toContain("trigger routines_src.t_positive");
    const through = await run("mysqldump", [...args, "-h", "127.0.0.1", "-P", String(port), "-u", "dumpable", `-p${agent.key}`, "--skip-ssl"]);
    expect(through.stderr).toBe("");
    expect(through.stdout).toBe(reference.stdout);
    // A rule on DROP DATABASE stops the restore at that statement, by name (it was refused as unreadable before).
    const refused = await mysqlCli(port, "dumpable", agent.key, [], { input: through.stdout });
    expect(refused.stderr).toContain('"no-drop-database"');
    // Where the policy allows it, the restore runs whole: DROP DATABASE, DROP PROCEDURE / FUNCTION / EVENT IF EXISTS, the routines.
    const restore = await mysqlCli(port, "restorable", agent.key, [], { input: through.stdout });
    expect(restore.stderr).toBe("");
    expect((await directDump()).stdout).toBe(reference.stdout);
  });
});
