import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { groupListSchema, identityNameSchema } from "./name-schemas";
import { psqlLine, splitGroups } from "./names";

describe("identity and group names", () => {
  it("accepts what the gateway accepts and refuses spaces", () => {
    expect(identityNameSchema.safeParse("agent-7").success).toBe(true);
    expect(identityNameSchema.safeParse("ana@example.com").success).toBe(true);
    expect(identityNameSchema.safeParse("two words").success).toBe(false);
    expect(identityNameSchema.safeParse("").success).toBe(false);
    expect(identityNameSchema.safeParse("x".repeat(129)).success).toBe(false);
  });
  it("refuses group names the access page would refuse", () => {
    expect(groupListSchema.safeParse(["analysts", "team:db"]).success).toBe(true);
    expect(groupListSchema.safeParse(["-bad"]).success).toBe(false);
    expect(groupListSchema.safeParse(["with space"]).success).toBe(false);
  });
  it("splits a typed list on commas and spaces without duplicates", () => {
    expect(splitGroups(" analysts, dba,,analysts  ops ")).toEqual(["analysts", "dba", "ops"]);
    expect(splitGroups("  ")).toEqual([]);
  });
});

describe("psqlLine", () => {
  const base = { host: "127.0.0.1", port: "15432", key: "ghk_abc-DEF_1" };
  it("puts the key in PGPASSWORD and the connection in dbname", () => {
    expect(psqlLine({ ...base, identity: "agent-7", connection: "pg-prod" })).toBe(`PGPASSWORD=ghk_abc-DEF_1 psql "host=127.0.0.1 port=15432 dbname=pg-prod user=agent-7 sslmode=require"`);
  });
  it("quotes names so that bash hands psql the conninfo unchanged", () => {
    const line = psqlLine({ ...base, identity: "it's$me", connection: "pg" });
    // Run the line in a real shell with psql replaced by a function that prints what it got.
    const out = spawnSync("bash", ["-c", `psql() { printf '%s\\n' "$PGPASSWORD" "$1"; }; ${line}`], { encoding: "utf8" }).stdout;
    expect(out).toBe(`ghk_abc-DEF_1\nhost=127.0.0.1 port=15432 dbname=pg user='it\\'s$me' sslmode=require\n`);
  });
});
