import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { openSeed, seedGrant, seedIdentity, seedMasking, seedPolicy, type Seed, type SeededIdentity } from "../support/seed";
import { startMariadb, type MariadbServer } from "../support/mariadb-server";
import { seedMysqlConnection } from "../support/mysql-client";

export type DriverTargets = {
  db: MariadbServer;
  gw: TestGateway;
  /** The same gateway's data, refusing clients without TLS (3159): a run meant to use TLS proves it did (with `strict`). */
  strict: TestGateway | null;
  agent: SeededIdentity;
  close: () => Promise<void>;
};

/**
 * What a driver test compares against: a private mariadbd seeded by `schema`, and a gateway with
 * three connections to its `shop` database granted to one agent: `shop-db` (plain), `shop-guarded`
 * (rule "no-delete" denies DELETE) and `shop-masked` (under `masking`).
 */
export async function startDriverTargets(schema: string, masking: unknown, opts: { strict?: boolean } = {}): Promise<DriverTargets> {
  const db = await startMariadb();
  await db.admin(schema);
  const gw = await startTestGateway();
  const seed: Seed = openSeed(gw);
  for (const c of ["shop-db", "shop-guarded", "shop-masked"]) {
    await seedMysqlConnection(seed, c, db, { db: "shop" });
    await seedGrant(seed, "apps", c);
  }
  await seedPolicy(seed, "shop-guarded", { defaultAction: "allow", rules: [{ name: "no-delete", action: "deny", match: { kinds: ["DELETE"] } }] });
  await seedMasking(seed, "shop-masked", masking);
  const agent = await seedIdentity(seed, "driver-agent", ["apps"]);
  const strict = opts.strict ? await startTestGateway({ GATEHOUSE_REQUIRE_TLS: "true" }, { shareDatabaseWith: gw }) : null;
  return {
    db,
    gw,
    strict,
    agent,
    async close() {
      await strict?.close();
      await seed.close();
      await gw.close();
      await db.stop();
    },
  };
}
