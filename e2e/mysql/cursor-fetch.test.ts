import { afterAll, beforeAll, describe, expect, it } from "vitest";
import mysql from "mysql2/promise";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { openSeed, seedGrant, seedIdentity, seedMasking, type Seed, type SeededIdentity } from "../support/seed";
import { startMariadb, type MariadbServer } from "../support/mariadb-server";
import { gatewayConnection, seedMysqlConnection } from "../support/mysql-client";
import { cursorRun } from "../support/mysql-cursor";
import { connectionId } from "../../core/connections/connection-id";

// Server-side cursors (COM_STMT_EXECUTE with CURSOR_TYPE_READ_ONLY, then COM_STMT_FETCH), written
// raw after mysql2's sign-in (e2e/support/mysql-cursor.ts), directly to the private MariaDB and
// through the gateway. The fetched rows carry no column definitions: the gateway masks
// them by the columns the execute reported.
const EMAILS = ["ann.cursor@example.com", "bob.cursor@example.com", "cy.cursor@example.com"];
const PEOPLE = "select id, name, email from people order by id";

let db: MariadbServer;
let gw: TestGateway;
let seed: Seed;
let agent: SeededIdentity;

beforeAll(async () => {
  db = await startMariadb();
  await db.admin(
    `create table shop.people (id int primary key, name varchar(40), email varchar(80));
     insert into shop.people values (1, 'Ann', '${EMAILS[0]}'), (2, 'Bob', '${EMAILS[1]}'), (3, 'Cy', '${EMAILS[2]}');`,
  );
  gw = await startTestGateway();
  seed = openSeed(gw);
  await seedMysqlConnection(seed, "shop", db, { db: "shop" });
  await seedGrant(seed, "agents", "shop");
  await seedMasking(seed, "shop", { detectors: { builtIn: ["email"], style: "redact" } });
  agent = await seedIdentity(seed, "cursor-agent", ["agents"]);
}, 120_000);
afterAll(async () => {
  await seed?.close();
  await gw?.close();
  await db?.stop();
});

describe("[MYSQL][CURSORS] server-side cursors on a masked connection", () => {
  it("fetches the same rows as directly, in batches, with the detectors applied to the fetched values", async () => {
    const direct = await cursorRun(await mysql.createConnection({ host: "127.0.0.1", port: db.port, user: db.user, password: db.password, database: "shop" }), PEOPLE);
    expect(direct.first).toEqual([
      [1, "Ann", EMAILS[0]],
      [2, "Bob", EMAILS[1]],
    ]);
    expect(direct.rest).toEqual([[3, "Cy", EMAILS[2]]]);

    const through = await cursorRun(await gatewayConnection(gw.gw.ports.mysql, "shop", agent.key, { database: "shop" }), PEOPLE);
    expect(through.first.map(([i, n]) => [i, n])).toEqual([
      [1, "Ann"],
      [2, "Bob"],
    ]);
    expect(through.rest.map(([i, n]) => [i, n])).toEqual([[3, "Cy"]]);
    const emails = [...through.first, ...through.rest].map(([, , e]) => e);
    for (const e of emails) expect(EMAILS).not.toContain(e);
    expect(emails.every((e) => e.includes("REDACTED"))).toBe(true);
    // A fetch on a statement with no open cursor: refused by the gateway (it has no columns to mask by) with an ERR.
    expect(through.noCursor[0]).toBe(0xff);
    expect(through.noCursor.toString("utf8")).toContain("cannot mask this cursor's rows");
  });

  it("keeps a cursor fetchable when its rules are saved again unchanged, and refuses its fetch once they really change", async () => {
    const rules = { detectors: { builtIn: ["email"], style: "redact" } };
    // What the gateway does when the bus says 'masking.changed' (called here so that the test does not wait on delivery).
    const id = await connectionId(seed.db, "shop");
    const saved = (r: unknown) => async () => {
      await seedMasking(seed, "shop", r);
      await gw.gw.deps.masking.reload(id);
    };
    const same = await cursorRun(await gatewayConnection(gw.gw.ports.mysql, "shop", agent.key, { database: "shop" }), PEOPLE, { beforeFetch: saved(rules) });
    expect([...same.first, ...same.rest].map(([i, n, e]) => [i, n, e.includes("REDACTED")])).toEqual([
      [1, "Ann", true],
      [2, "Bob", true],
      [3, "Cy", true],
    ]);
    // The rows were to be masked by rules that no longer hold: refused rather than masked by a guess.
    try {
      const changed = await cursorRun(await gatewayConnection(gw.gw.ports.mysql, "shop", agent.key, { database: "shop" }), PEOPLE, {
        beforeFetch: saved({ detectors: { builtIn: ["email"], style: "partial" } }),
      });
      expect(changed.first).toEqual([]);
      expect(changed.firstAnswer[0]).toBe(0xff);
      expect(changed.firstAnswer.toString("utf8")).toContain("the masking rules changed since it was opened");
    } finally {
      await seedMasking(seed, "shop", rules);
      await gw.gw.deps.masking.reload(id);
    }
  });
});
