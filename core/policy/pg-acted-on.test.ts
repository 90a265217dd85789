import { beforeAll, describe, expect, it } from "vitest";
import { StatementAnalyzer, loadSqlParser } from "../sql/statement-analyzer";
import { classifyStatement, type Classification } from "./classify-statement";
import { evaluatePolicy } from "./evaluate-policy";
import type { Policy } from "./policy";
import { sqlCommand } from "./sql-commands";

beforeAll(() => loadSqlParser());
const analyzer = new StatementAnalyzer();

function one(sql: string): Classification {
  const a = analyzer.analyze(sql);
  if (!a.ok) throw new Error(a.error);
  return classifyStatement(a.statements[0]);
}

describe("[POLICY][CLASSIFY] what a PostgreSQL statement acts on besides the relations it names", () => {
  it("is of the kind psql's command tag names, so a rule naming that kind meets it", () => {
    for (const [sql, kind] of [
      ["create trigger t before insert on vault.keys for each row execute function f()", "CREATE TRIGGER"],
      ["create sequence s", "CREATE SEQUENCE"],
      ["alter sequence s restart", "ALTER SEQUENCE"],
      ["refresh materialized view vault.mv", "REFRESH MATERIALIZED VIEW"],
      ["create rule r as on insert to t do instead nothing", "CREATE RULE"],
      ["security label on table t is 'x'", "SECURITY LABEL"],
      ["checkpoint", "CHECKPOINT"],
      ["create statistics s on a, b from t", "CREATE STATISTICS"],
      ["create event trigger e on ddl_command_start execute function f()", "CREATE EVENT TRIGGER"],
      ["create server s foreign data wrapper postgres_fdw", "CREATE SERVER"],
      ["drop materialized view mv", "DROP MATERIALIZED VIEW"],
      ["drop server s", "DROP SERVER"],
      ["drop statistics s", "DROP STATISTICS"],
      ["create aggregate a (sfunc = f, stype = int)", "CREATE AGGREGATE"],
      ["create type mood as enum ('sad', 'ok')", "CREATE TYPE"],
    ])
      expect(one(sql).kind, sql).toBe(kind);
    // RENAME, SET SCHEMA, OWNER TO and ALTER INDEX / MATERIALIZED VIEW run their object's ALTER too.
    for (const [sql, run] of [
      ["alter table vault.keys rename to k2", "ALTER TABLE"],
      ["alter table vault.keys rename column a to b", "ALTER TABLE"],
      ["alter table vault.keys set schema public", "ALTER TABLE"],
      ["alter materialized view mv owner to bob", "ALTER MATERIALIZED VIEW"],
      ["alter index i rename to j", "ALTER INDEX"],
    ])
      expect(one(sql).runs, sql).toContain(run);
    const policy: Policy = { defaultAction: "allow", rules: [{ name: "no-triggers", action: "deny", match: { kinds: ["CREATE TRIGGER", "ALTER TABLE"] } }] };
    for (const sql of ["create trigger t before insert on t for each row execute function f()", "alter table t rename to u"])
      expect(evaluatePolicy(policy, { name: "a", groups: [] }, sqlCommand(one(sql), sql)).action, sql).toBe("deny");
  });

  it("names the partition ATTACH and DETACH PARTITION move, the sequence and the table a sequence is OWNED BY", () => {
    expect(one("alter table public.t attach partition vault.keys for values in (1)").tables).toEqual(["public.t", "vault.keys"]);
    expect(one("alter table public.t detach partition vault.p1").tables).toEqual(["public.t", "vault.p1"]);
    expect(one("create sequence public.s owned by vault.keys.id")).toMatchObject({ tables: expect.arrayContaining(["public.s", "vault.keys"]), runs: [] });
    expect(one("alter sequence public.s owned by vault.keys.id").tables).toEqual(expect.arrayContaining(["public.s", "vault.keys"]));
  });

  it("acts on every table of a schema it publishes, and on every table when it publishes all, subscribes, or reassigns or drops what a role owns", () => {
    expect(one("create publication p for tables in schema vault").everyTableOf).toEqual(["vault"]);
    expect(one("alter publication p add tables in schema vault").everyTableOf).toEqual(["vault"]);
    expect(one("create publication p for table vault.keys")).toMatchObject({ tables: ["vault.keys"] });
    for (const sql of ["create publication p for all tables", "create subscription s connection 'host=x' publication p", "reassign owned by bob to alice", "drop owned by bob"])
      expect(one(sql).everyTableOf, sql).toEqual(["*"]);
    expect(one("alter publication p set (publish = 'insert')").everyTableOf).toBeUndefined();
  });

  it("acts on every table of a schema it renames, drops or gives to another owner (who may then drop any of them)", () => {
    for (const sql of ["alter schema vault rename to v2", "drop schema vault cascade", "alter schema vault owner to bob"]) expect(one(sql).everyTableOf, sql).toEqual(["vault"]);
    expect(one("alter table vault.keys owner to bob")).toMatchObject({ tables: ["vault.keys"] });
    expect(one("alter table vault.keys owner to bob").everyTableOf).toBeUndefined();
  });

  it("names the table a foreign table reads (its options, else its own name; and where ALTER points it), and the schema a foreign schema is imported from", () => {
    expect([...one("create foreign table public.f (secret text) server loop options (schema_name 'vault', table_name 'keys')").tables].sort()).toEqual(["public.f", "vault.keys"]);
    expect(one("create foreign table vault.keys2 (secret text) server loop").tables).toEqual(["vault.keys2"]);
    expect([...one("alter foreign table public.f options (set table_name 'keys', add schema_name 'vault')").tables].sort()).toEqual(["public.f", "vault.keys"]);
    expect([...one("alter foreign table public.f options (set table_name 'keys')").tables].sort()).toEqual(["public.f", "public.keys"]);
    expect(one("alter foreign table public.f add column b int").tables).toEqual(["public.f"]);
    expect(one("import foreign schema vault from server loop into public").everyTableOf).toEqual(["public", "vault"]);
  });
});
