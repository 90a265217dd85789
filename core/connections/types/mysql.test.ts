import { describe, expect, it } from "vitest";
import { mysql, parseMysqlUrl } from "./mysql";

describe("mysql connection type", () => {
  it("splits a mysql:// URL into settings and the sealed password", () => {
    expect(parseMysqlUrl("mysql://app:s%40cret@db.internal:3307/shop")).toEqual({
      settings: { host: "db.internal", port: 3307, user: "app", database: "shop", tls: "prefer", allowLocalInfile: false },
      secret: { password: "s@cret" },
    });
    expect(parseMysqlUrl("mysql://app@db", "disable").settings).toEqual({ host: "db", port: 3306, user: "app", tls: "disable", allowLocalInfile: false });
  });

  it("refuses another scheme and an unknown TLS mode", () => {
    expect(() => parseMysqlUrl("postgres://a@b/c")).toThrow("the URL must start with mysql://");
    expect(() => parseMysqlUrl("mysql://a@b/c", "sometimes")).toThrow("tls must be one of disable, prefer, require, verify-full");
  });

  it("allows LOCAL INFILE only when the flag says so", async () => {
    expect((await mysql.cli.parse({ url: "mysql://a@b/c" })).settings.allowLocalInfile).toBe(false);
    expect((await mysql.cli.parse({ url: "mysql://a@b/c", "allow-local-infile": true })).settings.allowLocalInfile).toBe(true);
  });

  it("reads stored settings with defaults, and refuses another type's", () => {
    expect(mysql.parseSettings({ name: "m", type: "mysql", settings: { host: "db" } })).toEqual({ host: "db", port: 3306, user: "root", tls: "prefer", allowLocalInfile: false });
    expect(() => mysql.parseSettings({ name: "m", type: "postgres", settings: {} })).toThrow("connection m is a postgres connection, not mysql");
  });
});
