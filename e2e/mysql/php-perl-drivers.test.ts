import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestGateway } from "../support/gateway-harness";
import type { SeededIdentity } from "../support/seed";
import type { MariadbServer } from "../support/mariadb-server";
import { startDriverTargets, type DriverTargets } from "./driver-targets";
import { run } from "../support/run-program";

const fixtures = path.join(import.meta.dirname, "fixtures");
const NAMES = ["Quill-7741", "Ink-Jar-4420"];

// PHP's PDO and mysqli (mysqlnd, which speaks caching_sha2_password itself) and Perl's DBD::MariaDB
// (MariaDB Connector/C), from Debian, against a private mariadbd: the same output through the
// gateway as directly, a denied statement refused as the driver reports a server error, masked values.
describe("[MYSQL][PHP-PERL] PHP and Perl drivers through the gateway", () => {
  let t: DriverTargets;
  let db: MariadbServer;
  let gw: TestGateway;
  /** The same data through a gateway that refuses plaintext: a run meant to use TLS proves it did. */
  let strict: TestGateway;
  let agent: SeededIdentity;

  beforeAll(async () => {
    t = await startDriverTargets(
      `create table shop.items (id int primary key, name varchar(50), made datetime, doc json, price decimal(8, 2));
       insert into shop.items values (1, '${NAMES[0]}', '2024-01-02 03:04:05', '{"a": 1}', 1.50), (2, '${NAMES[1]}', null, null, null);`,
      { columns: [{ column: "items.name", style: "redact" }] },
      { strict: true },
    );
    ({ db, gw, agent } = t);
    strict = t.strict!;
  }, 120_000);
  afterAll(() => t?.close());

  const php = (port: number, user: string, password: string, api: "pdo" | "mysqli", tls: boolean) =>
    run("php", [path.join(fixtures, "php_mysql_probe.php"), String(port), user, password, api, tls ? "tls" : "plain"]);
  const perl = (port: number, user: string, password: string) => run("perl", [path.join(fixtures, "perl_mysql_probe.pl"), String(port), user, password]);
  const lines = (r: { stdout: string; stderr: string }) => (r.stdout + r.stderr).trim().split("\n");

  it("PDO (emulated and server-side prepares, a transaction) and mysqli (binary results, multi-statements), with and without TLS, answer as the server does", async () => {
    for (const api of ["pdo", "mysqli"] as const) {
      for (const tls of [false, true]) {
        const want = lines(await php(db.port, db.user, db.password, api, tls));
        expect(want.join("\n"), `${api} tls ${tls}`).not.toContain("error 2002");
        const port = (tls ? strict : gw).gw.ports.mysql;
        expect(lines(await php(port, "shop-db", agent.key, api, tls)), `${api} tls ${tls}`).toEqual(want);
        const guarded = lines(await php(port, "shop-guarded", agent.key, api, tls));
        expect(guarded.at(-1), `${api} tls ${tls}`).toBe("error 1142 42000");
        expect(guarded.slice(0, -1)).toEqual(want.slice(0, -1));
      }
    }
    const masked = lines(await php(gw.gw.ports.mysql, "shop-masked", agent.key, "pdo", false)).join("\n");
    expect(masked).toContain("[REDACTED]");
    for (const name of NAMES) expect(masked).not.toContain(name);
    const wrong = lines(await php(gw.gw.ports.mysql, "shop-db", "not-a-key", "pdo", false));
    expect(wrong[0]).toMatch(/^error 1045 /);
  });

  it("Perl's DBD::MariaDB (server-side prepares, quoting) answers as the server does; a denied statement is its server error", async () => {
    const want = lines(await perl(db.port, db.user, db.password));
    expect(want).toHaveLength(5);
    expect(lines(await perl(gw.gw.ports.mysql, "shop-db", agent.key))).toEqual(want);
    const guarded = lines(await perl(gw.gw.ports.mysql, "shop-guarded", agent.key));
    expect(guarded.slice(0, -1)).toEqual(want.slice(0, -1));
    expect(guarded.at(-1)).toBe("error 1142");
    const masked = lines(await perl(gw.gw.ports.mysql, "shop-masked", agent.key)).join("\n");
    expect(masked).toContain("[REDACTED]");
    for (const name of NAMES) expect(masked).not.toContain(name);
  });
});
