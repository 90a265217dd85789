import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { openSeed, seedGrant, seedIdentity, seedMasking, type SeededIdentity } from "../support/seed";
import { startMariadb, type MariadbServer } from "../support/mariadb-server";
import { seedMysqlConnection } from "../support/mysql-client";

// A masking corpus: a column rule on users.code (values no detector knows, so only the rule can hide
// them) and the email detector, through the text and the binary protocol. Nothing of the secret
// values may reach the client, whatever the query makes of the column. The rule on users.code covers
// the view over it too (traced through its definition: masking-views.test.ts has the rest).
export const CODES = ["ZX-4471-QQ", "KP-9020-RR"];
export const EMAILS = ["ann.secret@example.com", "bob.secret@example.com"];

/** The seeded secret values found in what a client was shown. */
export const leaks = (shown: string) => [...CODES, ...EMAILS].filter((v) => shown.includes(v));

export type MaskedMysql = { db: MariadbServer; gw: TestGateway; port: number; agent: SeededIdentity; close: () => Promise<void> };

/** A private MariaDB seeded with the corpus, a gateway, the connection `masked` under its rules, and an agent granted it. */
export async function startMaskedMysql(): Promise<MaskedMysql> {
  const db = await startMariadb();
  await db.admin(
    `create table shop.users (id int primary key, code varchar(20), email varchar(80), note text);
     insert into shop.users values (1, '${CODES[0]}', '${EMAILS[0]}', 'plain'), (2, '${CODES[1]}', '${EMAILS[1]}', 'write to ${EMAILS[1]}');
     create view shop.user_codes as select id, code from shop.users;
     create table shop.copies (who varchar(80));
     create table shop.cards (id int primary key, pan varchar(20));
     insert into shop.cards values (1, 'ZX-4471-QQ'), (2, 'KP-9020-RR'), (3, 'LM-5555-TT');
     create function shop.first_code() returns varchar(20) reads sql data return (select code from shop.users order by id limit 1);`,
  );
  const gw = await startTestGateway();
  const seed = openSeed(gw);
  await seedMysqlConnection(seed, "masked", db, { db: "shop" });
  await seedGrant(seed, "agents", "masked");
  await db.admin("set global max_allowed_packet = 64 * 1024 * 1024");
  await seedMasking(seed, "masked", {
    columns: [
      { column: "users.code", style: "redact" },
      { column: "cards.pan", style: "partial" },
    ],
    detectors: { builtIn: ["email"], style: "redact" },
  });
  const agent = await seedIdentity(seed, "masked-agent", ["agents"]);
  return {
    db,
    gw,
    port: gw.gw.ports.mysql,
    agent,
    async close() {
      await seed.close();
      await gw.close();
      await db.stop();
    },
  };
}
