import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDriverTargets, type DriverTargets } from "./driver-targets";
import { run } from "../support/run-program";

const fixtures = path.join(import.meta.dirname, "fixtures");
const NAMES = ["Quill-7741", "Ink-Jar-4420"];

// Go's database/sql with go-sql-driver/mysql (which requests the RSA key for caching_sha2_password
// itself) and Ruby's mysql2 gem (MariaDB Connector/C), both from Debian, against a private mariadbd:
// the same lines through the gateway as directly, with TLS and without; a denied statement is the
// driver's server error, masked values come out masked, a wrong key is 1045.
describe("[MYSQL][GO-RUBY] Go and Ruby drivers through the gateway", () => {
  let t: DriverTargets;
  let dir: string;
  let goProbe: string;

  beforeAll(async () => {
    t = await startDriverTargets(
      `create table shop.items (id int primary key, name varchar(50), made datetime, price decimal(8, 2));
       insert into shop.items values (1, '${NAMES[0]}', '2024-01-02 03:04:05', 1.50), (2, '${NAMES[1]}', null, null);`,
      { columns: [{ column: "items.name", style: "redact" }] },
      { strict: true },
    );
    dir = mkdtempSync(path.join(tmpdir(), "gatehouse-go-"));
    goProbe = path.join(dir, "probe");
    // GOPATH mode over Debian's packaged sources: no module download (no network here).
    const built = await run("go", ["build", "-o", goProbe, path.join(fixtures, "go_mysql_probe.go")], {
      env: { GO111MODULE: "off", GOPATH: "/usr/share/gocode", GOCACHE: path.join(tmpdir(), "gatehouse-go-cache") },
      timeoutMs: 200_000,
    });
    expect(built.stderr).toBe("");
  }, 240_000);
  afterAll(async () => {
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const clients = {
    go: (port: number, user: string, password: string, tls: boolean) => run(goProbe, [String(port), user, password, tls ? "tls" : "plain"]),
    ruby: (port: number, user: string, password: string, tls: boolean) => run("ruby", [path.join(fixtures, "ruby_mysql_probe.rb"), String(port), user, password, tls ? "tls" : "plain"]),
  };
  const lines = (r: { stdout: string; stderr: string }) => (r.stdout + r.stderr).trim().split("\n");

  for (const [name, client] of Object.entries(clients))
    it(`${name}: text and prepared reads, a transaction, with and without TLS, answer as the server does; denied, masked and a wrong key`, async () => {
      const { db, gw, agent } = t;
      for (const tls of [false, true]) {
        const want = lines(await client(db.port, db.user, db.password, tls));
        expect(want.at(-1), `tls ${tls}`).toBe("done");
        expect(want.join("\n")).toContain(NAMES[1]);
        // A TLS run goes to a gateway that refuses plaintext (3159): it passing proves the driver used TLS.
        const port = (tls ? t.strict! : gw).gw.ports.mysql;
        expect(lines(await client(port, "shop-db", agent.key, tls)), `tls ${tls}`).toEqual(want);
        const guarded = lines(await client(port, "shop-guarded", agent.key, tls));
        expect(guarded.at(-1), `tls ${tls}`).toBe("error 1142");
        expect(guarded.slice(0, -1)).toEqual(want.slice(0, -1));
        const masked = lines(await client(port, "shop-masked", agent.key, tls)).join("\n");
        expect(masked).toContain("[REDACTED]");
        for (const n of NAMES) expect(masked).not.toContain(n);
        expect(lines(await client(port, "shop-db", "not-a-key", tls))).toEqual(["error 1045"]);
      }
      // Without TLS, the gateway that requires it refuses (the run above was not plaintext by accident).
      expect(lines(await client(t.strict!.gw.ports.mysql, "shop-db", agent.key, false))).toEqual(["error 3159"]);
    });
});
