import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { decidePendingReview, openSeed, seedGrant, seedIdentity, seedMasking, seedPolicy, type Seed, type SeededIdentity } from "../support/seed";
import { startMariadb, type MariadbServer } from "../support/mariadb-server";
import { seedMysqlConnection } from "../support/mysql-client";
import { callTool, connectMcp, structured, textOf } from "./mcp-client";

// `query` on a MySQL connection: through the gateway's own MySQL listener (mysql2 as the caller,
// against a private MariaDB), masked and judged there; MySQL has no message mid-statement, so the
// tool's connection asks for held statements to be answered at once, and the same call made again
// after approval runs, once.
let db: MariadbServer;
let gw: TestGateway;
let seed: Seed;
let agent: SeededIdentity;
let url: URL;

beforeAll(async () => {
  db = await startMariadb();
  await db.admin(
    "create table shop.people (id int primary key, email varchar(80)); insert into shop.people values (1, 'ann.mcp@example.com'), (2, 'bob.mcp@example.com'); create table shop.scratch (v int);",
  );
  gw = await startTestGateway({ GATEHOUSE_CONSOLE_URL: "https://gatehouse.example" });
  seed = openSeed(gw);
  await seedMysqlConnection(seed, "shop", db, { db: "shop" });
  await seedGrant(seed, "agents", "shop");
  await seedPolicy(seed, "shop", {
    defaultAction: "allow",
    rules: [
      { name: "no-deletes", action: "deny", match: { kinds: ["DELETE"] } },
      { name: "drops-need-a-human", action: "review", match: { kinds: ["DROP"] }, timeoutSeconds: 120 },
    ],
  });
  await seedMasking(seed, "shop", { detectors: { builtIn: ["email"], style: "redact" } });
  agent = await seedIdentity(seed, "mcp-mysql-agent", ["agents"]);
  url = new URL(`http://127.0.0.1:${gw.gw.ports.http}/mcp`);
}, 120_000);
afterAll(async () => {
  await seed?.close();
  await gw?.close();
  await db?.stop();
});

const tableExists = async (name: string) => (await db.admin(`select count(*) from information_schema.tables where table_schema = 'shop' and table_name = '${name}'`)).trim().endsWith("1");

describe("[MCP][MYSQL] query on a MySQL connection through the gateway's MySQL listener", () => {
  it("lists the connection with query, returns masked rows (with and without params), and refuses a denied statement", async () => {
    const client = await connectMcp(url, agent.key);
    expect(structured(await callTool(client, "connections_list")).connections).toEqual([{ name: "shop", type: "mysql", tools: ["query"] }]);
    const r = structured(await callTool(client, "query", { connection: "shop", sql: "select id, email from people order by id" })) as { results: Array<{ columns: string[]; rows: unknown[][] }> };
    expect(r.results[0].columns).toEqual(["id", "email"]);
    expect(r.results[0].rows.map((row) => row[0])).toEqual([1, 2]);
    expect(JSON.stringify(r)).not.toContain("@example.com");
    const one = structured(await callTool(client, "query", { connection: "shop", sql: "select email from people where id = ?", params: [2] })) as { results: Array<{ rows: unknown[][] }> };
    expect(one.results[0].rows).toHaveLength(1);
    expect(JSON.stringify(one)).not.toContain("bob.mcp");
    const denied = await callTool(client, "query", { connection: "shop", sql: "delete from people" });
    expect(denied.isError).toBe(true);
    expect(textOf(denied)).toContain("no-deletes");
    await client.close();
  });

  it("returns pending_approval at once for a held DROP; after approval the same call runs once and the table is gone only then", async () => {
    const client = await connectMcp(url, agent.key);
    const args = { connection: "shop", sql: "drop table scratch" };
    const held = structured(await callTool(client, "query", args));
    expect(held).toMatchObject({ status: "pending_approval", reviewId: expect.any(String), link: expect.stringMatching(/^https:\/\/gatehouse\.example\/reviews\//) });
    expect(await tableExists("scratch")).toBe(true);
    // Sent again before a decision: the same review, still pending.
    expect(structured(await callTool(client, "query", args)).reviewId).toBe(held.reviewId);
    await decidePendingReview(seed, "drop table scratch", { approve: true });
    expect(structured(await callTool(client, "review_wait", { reviewId: held.reviewId, waitSeconds: 10 }))).toMatchObject({ status: "approved", next: expect.stringContaining("Call query again") });
    expect(await tableExists("scratch")).toBe(true);
    const ran = await callTool(client, "query", args);
    expect(ran.isError, textOf(ran)).toBeFalsy();
    expect(await tableExists("scratch")).toBe(false);
    await client.close();
  });
});
