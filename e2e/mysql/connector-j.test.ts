import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { run, startTestGateway, type TestGateway } from "../support/gateway-harness";
import { openSeed, seedGrant, seedIdentity, type Seed, type SeededIdentity } from "../support/seed";
import { startMariadb, type MariadbServer } from "../support/mariadb-server";
import { seedMysqlConnection } from "../support/mysql-client";

// MariaDB Connector/J (Debian's libmariadb-java) with metadata, server-side prepared statements and a
// batch: the same output through the gateway as on a direct connection.
const jar = "/usr/share/java/mariadb-java-client.jar";

describe("[MYSQL][CONNECTOR-J]", () => {
  let db: MariadbServer;
  let gw: TestGateway;
  let seed: Seed;
  let agent: SeededIdentity;
  let classes: string;

  beforeAll(async () => {
    classes = mkdtempSync(path.join(tmpdir(), "gatehouse-mariadb-jdbc-"));
    const javac = await run("javac", ["-d", classes, path.join(import.meta.dirname, "fixtures/MariadbProbe.java")]);
    if (javac.code !== 0) throw new Error(javac.stderr);
    db = await startMariadb();
    await db.admin("create table shop.items (id int primary key, name varchar(50));");
    gw = await startTestGateway();
    seed = openSeed(gw);
    await seedMysqlConnection(seed, "shop-db", db);
    await seedGrant(seed, "apps", "shop-db");
    agent = await seedIdentity(seed, "jdbc-agent", ["apps"]);
  }, 180_000);
  afterAll(async () => {
    await seed?.close();
    await gw?.close();
    await db?.stop();
    rmSync(classes, { recursive: true, force: true });
  });

  const probe = (url: string, user: string, password: string) => run("java", ["-cp", `${jar}:${classes}`, "MariadbProbe", url, user, password]);
  const options = "useServerPrepStmts=true";

  it("sees exactly what it sees on a direct connection, over TLS, with the RSA key and compressed", async () => {
    const direct = await probe(`jdbc:mariadb://127.0.0.1:${db.port}/shop?${options}`, db.user, db.password);
    expect(direct.code, direct.stderr).toBe(0);
    expect(direct.stdout).toContain("batch: 3");
    expect(direct.stdout).toContain("error: 1146 42S02");
    // Connector/J 2.7 sends the password in the clear only over TLS, and fetches the RSA key only when allowed to;
    // given the gateway's public key file it needs neither.
    const keyFile = path.join(gw.env.GATEHOUSE_DATA_DIR, "mysql-rsa-public.pem");
    // And with the compressed protocol (useCompression), over TLS and without.
    for (const auth of [
      "useSsl=true&trustServerCertificate=true",
      "allowPublicKeyRetrieval=true",
      `serverRsaPublicKeyFile=${keyFile}`,
      "useCompression=true&allowPublicKeyRetrieval=true",
      "useCompression=true&useSsl=true&trustServerCertificate=true",
    ]) {
      const gated = await probe(`jdbc:mariadb://127.0.0.1:${gw.gw.ports.mysql}/shop?${options}&${auth}`, "shop-db", agent.key);
      expect(gated.stderr, auth).toBe("");
      expect(gated.stdout, auth).toBe(direct.stdout);
    }
  });
});
