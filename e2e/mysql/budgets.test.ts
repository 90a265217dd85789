import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RowDataPacket } from "mysql2/promise";
import { eq } from "drizzle-orm";
import { dataBudgetUsage } from "../../drizzle/schema/index";
import { decideReview } from "../../core/reviews/decide-review";
import { saveBudget } from "../../core/budgets/manage-budgets";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { openSeed, seedGrant, seedIdentity, type Seed, type SeededIdentity } from "../support/seed";
import { startMariadb, type MariadbServer } from "../support/mariadb-server";
import { gatewayConnection, mysqlCli, seedMysqlConnection } from "../support/mysql-client";
import { pendingReview } from "../support/pending-review";

// Data budgets on MySQL, against a private MariaDB: a result is cut off at the budget with an ERR
// the client reads (mysql2 text and prepared, the mysql command line), or held for an approver and
// resumed; the use is the same account Postgres sessions count against.
describe("[MYSQL][BUDGETS]", () => {
  let db: MariadbServer;
  let gw: TestGateway;
  let seed: Seed;
  let capped: SeededIdentity;
  let reviewed: SeededIdentity;
  let port: number;

  beforeAll(async () => {
    db = await startMariadb();
    await db.admin("create table shop.customers (id int primary key, email varchar(80)); insert into shop.customers select seq, concat('c', seq, '@example.com') from seq_1_to_1500;", "shop");
    gw = await startTestGateway();
    port = gw.gw.ports.mysql;
    seed = openSeed(gw);
    await seedMysqlConnection(seed, "crm-mysql", db, { db: "shop" });
    await seedGrant(seed, "agents", "crm-mysql");
    capped = await seedIdentity(seed, "mysql-capped", ["agents"]);
    reviewed = await seedIdentity(seed, "mysql-reviewed", ["agents"]);
    await saveBudget(gw.gw.deps.db, { name: "mysql-cap", subjectKind: "identity", subject: "mysql-capped", connection: "crm-*", maxRows: 1000, windowSeconds: 3600, onExceed: "refuse" }, "test");
    await saveBudget(gw.gw.deps.db, { name: "mysql-review", subjectKind: "identity", subject: "mysql-reviewed", maxRows: 1000, windowSeconds: 3600, onExceed: "review" }, "test");
    await gw.gw.deps.budgets.reload();
  }, 120_000);
  afterAll(async () => {
    await seed?.close();
    await gw?.close();
    await db?.stop();
  });

  it("[REFUSE]: the mysql command line gets the first 1,000 rows, then ERROR 1227 naming the budget; the session goes on", async () => {
    const r = await mysqlCli(port, "crm-mysql", capped.key, [
      "--batch",
      "--skip-column-names",
      "--quick",
      "--force",
      "-e",
      "select id from customers order by id; set @x = 1; select 'after' from dual where false",
    ]);
    const rows = r.stdout.split("\n").filter((l) => /^\d+$/.test(l));
    expect(rows).toHaveLength(1000);
    expect(rows.at(-1)).toBe("1000");
    expect(r.stderr).toMatch(/ERROR 1227 \(42000\) at line 1: Gatehouse: data budget "mysql-cap" exceeded: 1,000 of 1,000 rows this hour/);
    await gw.gw.deps.budgets.flush();
    const [u] = await gw.gw.deps.db.select().from(dataBudgetUsage).where(eq(dataBudgetUsage.identityName, "mysql-capped"));
    expect(u.rows).toBe(1000);
  });

  it("[REFUSE][PREPARED]: a prepared statement's binary rows are refused the same way once the budget is spent", async () => {
    const c = await gatewayConnection(port, "crm-mysql", capped.key);
    try {
      const err = await c.execute<RowDataPacket[]>("select id, email from customers where id > ?", [0]).then(
        () => null,
        (e: { errno?: number; message?: string }) => e,
      );
      expect(err?.errno).toBe(1227);
      expect(err?.message).toContain('data budget "mysql-cap" exceeded');
      const [ok] = await c.query("select 1 as one from dual where false");
      expect(ok).toEqual([]);
    } finally {
      await c.end();
    }
  });

  it("[REVIEW]: past the budget the rows wait for the approver; approved, the same query returns every row", async () => {
    const c = await gatewayConnection(port, "crm-mysql", reviewed.key);
    try {
      const query = c.query<RowDataPacket[]>("select id, email from customers order by id");
      const review = await pendingReview(gw.gw.deps.db, "select id, email from customers");
      expect(review.summary.kind).toBe("data budget");
      await decideReview(gw.gw.deps.db, { reviewId: review.id, decision: "approve", decider: { email: "dana@example.com", groups: [] } });
      const [rows] = await query;
      expect(rows).toHaveLength(1500);
      expect(rows[1499]).toEqual({ id: 1500, email: "c1500@example.com" });
    } finally {
      await c.end();
    }
  });
});
