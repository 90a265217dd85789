import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run, startTestGateway, type TestGateway } from "../support/gateway-harness";
import { openSeed, seedMasking, seedPolicy, type Seed } from "../support/seed";

// pg_dump and a restore through the gateway, against the target's own dump of the same schema.
let t: TestGateway;
let seed: Seed;
let key: string;
const direct = (program: string, args: string[], input?: string) =>
  run(program, [`host=127.0.0.1 port=${t.target.port} dbname=shop user=app sslmode=disable`, ...args], { env: { PGPASSWORD: "secret" }, input });
const gated = (program: string, connection: string, args: string[], input?: string) =>
  run(program, [`host=127.0.0.1 port=${t.pgPort} dbname=${connection} user=agent sslmode=disable`, ...args], { env: { PGPASSWORD: key }, input });
// pg_dump 15.14 and later fence a plain dump with \restrict and \unrestrict and a random key of each run.
const stable = (dump: string) => dump.replace(/^\\(un)?restrict \S+$/gm, "\\$1restrict KEY");

beforeAll(async () => {
  t = await startTestGateway();
  seed = openSeed(t);
  const made = await direct("psql", [
    "-X",
    "-v",
    "ON_ERROR_STOP=1",
    "-c",
    `create schema dumped; create schema restored;
     create table dumped.customers (id serial primary key, email text not null, note text);
     insert into dumped.customers (email, note) select 'user' || g || '@example.com', 'note ' || g from generate_series(1, 40) g;
     create index on dumped.customers (email);
     create view dumped.notes as select id, note from dumped.customers;`,
  ]);
  if (made.code !== 0) throw new Error(made.stderr);
  key = await t.setupAccess({ connection: "dump-plain", db: "shop" });
  for (const c of ["dump-masked", "restore-guarded"]) await t.setupAccess({ connection: c, db: "shop" });
  await seedMasking(seed, "dump-masked", { columns: [{ column: "customers.email", style: "redact" }] });
  await seedPolicy(seed, "restore-guarded", {
    defaultAction: "allow",
    rules: [
      { name: "no-drop", action: "deny", match: { kinds: ["DROP"] } },
      { name: "no-unbounded-writes", action: "deny", match: { writesWithoutWhere: true } },
    ],
  });
}, 120_000);
afterAll(async () => {
  await seed?.close();
  await t?.close();
});

describe("[POSTGRES][PG_DUMP] pg_dump and restores through the gateway", () => {
  it("dumps exactly what a direct pg_dump does, and with column rules only the covered values differ", async () => {
    const own = await direct("pg_dump", ["-n", "dumped"]);
    expect(own.code, own.stderr).toBe(0);
    expect(own.stdout).toContain("user7@example.com");
    const plain = await gated("pg_dump", "dump-plain", ["-n", "dumped"]);
    expect(plain.stderr).toBe("");
    expect(stable(plain.stdout)).toBe(stable(own.stdout));
    // Before, every catalog query's tableoid (a system column) was masked as unresolved, and pg_dump failed.
    const masked = await gated("pg_dump", "dump-masked", ["-n", "dumped"]);
    expect(masked.stderr).toBe("");
    expect(masked.code).toBe(0);
    expect(stable(masked.stdout)).toBe(stable(own.stdout).replace(/user\d+@example\.com/g, "[REDACTED]"));
    const custom = await gated("pg_dump", "dump-masked", ["-n", "dumped", "-Fc"]);
    expect(custom.code, custom.stderr).toBe(0);
  });

  it("restores a dump through a connection with guardrails (COPY FROM stdin, setval), the same rows as the source", async () => {
    const own = await direct("pg_dump", ["-n", "dumped", "--no-owner"]);
    const script = own.stdout.replaceAll("dumped.", "restored.").replace(/^CREATE SCHEMA dumped;$/m, "");
    const restore = await gated("psql", "restore-guarded", ["-X", "-q", "-v", "ON_ERROR_STOP=1"], script);
    expect(restore.code, restore.stderr).toBe(0);
    const rows = (schema: string) => direct("psql", ["-X", "-At", "-c", `select count(*), max(email), (select last_value from ${schema}.customers_id_seq) from ${schema}.customers`]);
    expect((await rows("restored")).stdout).toBe((await rows("dumped")).stdout);
    expect((await rows("restored")).stdout.trim()).toBe("40|user9@example.com|40");
  });
});
