import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { openSeed, seedGrant, seedIdentity, seedMasking, seedPolicy, type Seed, type SeededIdentity } from "../support/seed";
import { startMariadb, type MariadbServer } from "../support/mariadb-server";
import { seedMysqlConnection } from "../support/mysql-client";
import type { Policy } from "../../core/policy/policy";

/** A connection to seed: seedMysqlConnection's options, and the policy and masking rules to apply to it. */
export type SeededMysqlConnection = Parameters<typeof seedMysqlConnection>[3] & { policy?: Policy; masking?: unknown };

export type MysqlSetup = { db: MariadbServer; gw: TestGateway; seed: Seed; agent: SeededIdentity; port: number; close: () => Promise<void> };

/**
 * What most MySQL e2e files start from: a private mariadbd seeded by `schema`, a gateway, the
 * connections to it (each granted to `group`, with its policy and masking) and one agent in that group.
 */
export async function startMysqlSetup(schema: string | null, connections: Record<string, SeededMysqlConnection>, who: { group: string; identity: string }): Promise<MysqlSetup> {
  const db = await startMariadb();
  if (schema) await db.admin(schema);
  const gw = await startTestGateway();
  const seed = openSeed(gw);
  for (const [name, { policy, masking, ...opts }] of Object.entries(connections)) {
    await seedMysqlConnection(seed, name, db, opts);
    await seedGrant(seed, who.group, name);
    if (policy) await seedPolicy(seed, name, policy);
    if (masking) await seedMasking(seed, name, masking);
  }
  const agent = await seedIdentity(seed, who.identity, [who.group]);
  return {
    db,
    gw,
    seed,
    agent,
    port: gw.gw.ports.mysql,
    async close() {
      await seed.close();
      await gw.close();
      await db.stop();
    },
  };
}
