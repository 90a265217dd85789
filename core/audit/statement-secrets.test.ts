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
