import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import type { SeededIdentity } from "../support/seed";
import type { MariadbServer } from "../support/mariadb-server";
import { startMysqlSetup } from "./mysql-setup";

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
  const setup = await startMysqlSetup(
    schema,
    {
      "shop-db": { db: "shop" },
      "shop-guarded": { db: "shop", policy: { defaultAction: "allow", rules: [{ name: "no-delete", action: "deny", match: { kinds: ["DELETE"] } }] } },
      "shop-masked": { db: "shop", masking },
    },
    { group: "apps", identity: "driver-agent" },
  );
  const strict = opts.strict ? await startTestGateway({ GATEHOUSE_REQUIRE_TLS: "true" }, { shareDatabaseWith: setup.gw }) : null;
  return {
    db: setup.db,
    gw: setup.gw,
    strict,
    agent: setup.agent,
    async close() {
      await strict?.close();
      await setup.close();
    },
  };
}
