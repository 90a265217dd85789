import { describe, expect, it } from "vitest";
import { redactStatementSecrets as r } from "./statement-secrets";

describe("redactStatementSecrets", () => {
  it("replaces the passwords Postgres statements carry", () => {
    expect(r("ALTER ROLE app PASSWORD 's3cr3t'")).toBe("ALTER ROLE app PASSWORD '[redacted]'");
    expect(r("create user bob with login encrypted password 'it''s' valid until 'infinity'")).toBe("create user bob with login encrypted password '[redacted]' valid until 'infinity'");
    expect(r("CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'u', password 'pw')")).toBe("CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'u', password '[redacted]')");
    expect(r("create subscription s connection 'host=db port=5432 password=hunter2 dbname=x' publication p")).toBe(
      "create subscription s connection 'host=db port=5432 password=[redacted] dbname=x' publication p",
    );
    expect(r("select dblink_connect('postgres://app:hunter2@db/shop')")).toBe("select dblink_connect('postgres://app:[redacted]@db/shop')");
  });

  it("replaces the passwords MySQL and MariaDB statements carry", () => {
    expect(r("CREATE USER 'u'@'%' IDENTIFIED BY 'pw'")).toBe("CREATE USER 'u'@'%' IDENTIFIED BY '[redacted]'");
    expect(r('alter user u identified with mysql_native_password by "pw"')).toBe("alter user u identified with mysql_native_password by '[redacted]'");
    expect(r("create user u identified via ed25519 using password('pw')")).toBe("create user u identified via ed25519 using password('[redacted]')");
    expect(r("SET PASSWORD FOR 'u'@'%' = PASSWORD('pw')")).toBe("SET PASSWORD FOR 'u'@'%' = PASSWORD('[redacted]')");
    expect(r("set password = 'pw'")).toBe("set password = '[redacted]'");
    expect(r("grant all on *.* to u identified by password '*ABCDEF'")).toBe("grant all on *.* to u identified by password '[redacted]'");
    expect(r("CHANGE MASTER TO MASTER_HOST='h', MASTER_PASSWORD='pw'")).toBe("CHANGE MASTER TO MASTER_HOST='h', MASTER_PASSWORD='[redacted]'");
  });

  it("leaves texts that carry none unchanged", () => {
    for (const t of ["select * from users where password_hash = $1", "select 'password' as word", "select 'password', 'x'", "update t set note = 'identified by nothing'", "select 1"])
      expect(r(t), t).toBe(t);
  });
});

describe("redactStatementSecrets on texts built to make a pattern backtrack", () => {
  // Each of these took time growing with the square of its length before the scan was linear
  // (40,000 characters: 1-2 s; these 128 KiB: 10-20 s, past the test's timeout; a megabyte: many
  // minutes with the gateway's event loop stalled). Now a few milliseconds.
  const MiB = 128 * 1024;
  // A stall, not a speed figure: the bound is a hundred times what the linear scan takes on a loaded machine,
  // and a tenth of what the quadratic one took (vitest's own timeout cannot interrupt synchronous code).
  it("returns at once for a long run of word characters after a keyword, and for literals left open", () => {
    for (const t of [
      `select 1 -- password ${"_".repeat(MiB)}`,
      `password ${"'\\".repeat(MiB / 2)}`,
      `identified by ${"_a".repeat(MiB / 2)}`,
      `${"password '\\' ".repeat(MiB / 14)}`,
      `select '${"://a".repeat(MiB / 4)}'`,
      `select '${"password='\\ ".repeat(MiB / 12)}`,
    ]) {
      const started = performance.now();
      expect(r(t).length).toBeGreaterThan(0);
      expect(performance.now() - started, t.slice(0, 40)).toBeLessThan(2_000);
    }
  });

  it("redacts a value left open to the end of the text", () => {
    expect(r("alter user u identified by 'pw")).toBe("alter user u identified by '[redacted]");
    expect(r("select 'host=db password=secret")).toBe("select 'host=db password=[redacted]");
    expect(r("alter role a password 'x' valid until 'y")).toBe("alter role a password '[redacted]' valid until 'y");
  });
});
