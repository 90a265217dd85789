import { describe, expect, it } from "vitest";
import { tryStatement } from "./try-statement";
import type { Policy } from "../../core/policy/policy";

const policy = {
  defaultAction: "allow" as const,
  rules: [
    { name: "no-drops", action: "deny" as const, match: { kinds: ["DROP"] } },
    { name: "truncate-review", action: "review" as const, match: { kinds: ["TRUNCATE"] }, approvers: ["dba"] },
    { name: "dba-ddl", action: "allow" as const, groups: ["dba"], match: { classes: ["ddl" as const] } },
    { name: "no-ddl", action: "deny" as const, match: { classes: ["ddl" as const] } },
  ],
};
const agent = { name: "agent-7", groups: ["analysts"] };
/** Each text's verdict under `policy`, for the agent. */
const expectVerdicts = async (policy: Policy, verdict: "allow" | "deny", texts: string[]) => {
  for (const q of texts) expect((await tryStatement(policy, agent, q)).verdict, q).toBe(verdict);
};

describe("tryStatement", () => {
  it("explains each statement and judges the whole text like the gateway", async () => {
    const r = await tryStatement(policy, agent, "select 1; truncate t; drop table t");
    expect(r.parsed && r.statements.map((s) => [s.kind, s.action, s.rule])).toEqual([
      ["SELECT", "allow", null],
      ["TRUNCATE", "review", "truncate-review"],
      ["DROP TABLE", "deny", "no-drops"],
    ]);
    expect(r.verdict).toBe("deny"); // a deny anywhere refuses the whole text
  });
  it("holds a text whose worst statement needs review", async () => {
    const r = await tryStatement(policy, agent, "truncate orders");
    expect(r.verdict).toBe("review");
    expect(r.explanation).toContain('rule "truncate-review"');
  });
  it("scopes rules to groups", async () => {
    expect((await tryStatement(policy, agent, "create table x (id int)")).verdict).toBe("deny");
    expect((await tryStatement(policy, { name: "dana", groups: ["dba"] }, "create table x (id int)")).verdict).toBe("allow");
  });
  it("names the table CREATE TABLE AS and SELECT INTO create, so a rule on a schema's tables meets them", async () => {
    const schemaDdl: Policy = { defaultAction: "allow", rules: [{ name: "no-ddl-in-public", action: "deny", match: { tables: ["public.*"], classes: ["ddl"] } }] };
    await expectVerdicts(schemaDdl, "deny", [
      "create table public.evil (id int)",
      "create table public.evil as select * from other.t",
      "select * into public.evil from other.t",
      "create materialized view public.evil as select 1",
    ]);
    await expectVerdicts(schemaDdl, "allow", ["create table other.fine as select * from other.t"]);
  });
  it("names the table a policy, trigger or rule is defined on, and the table a COMMENT or SECURITY LABEL is on", async () => {
    const sealed: Policy = { defaultAction: "allow", rules: [{ name: "vault-sealed", action: "deny", match: { tables: ["vault.*"] } }] };
    await expectVerdicts(sealed, "deny", [
      "create policy p on vault.keys using (true)",
      "alter policy p on vault.keys using (true)",
      "drop policy p on vault.keys",
      "drop trigger t on vault.keys",
      "drop rule r on vault.keys",
      "comment on table vault.keys is 'x'",
      "comment on column vault.keys.secret is 'x'",
      "security label on table vault.keys is 'x'",
      "create constraint trigger t after insert on other.t from vault.keys for each row execute function f()",
    ]);
    await expectVerdicts(sealed, "allow", ["drop policy p on other.t", "comment on column other.t.vault is 'x'", "comment on function vault() is 'x'"]);
  });
  it("meets a rule on a schema's tables with what acts on the whole schema", async () => {
    const sealed: Policy = { defaultAction: "allow", rules: [{ name: "vault-sealed", action: "deny", match: { tables: ["vault.keys"] } }] };
    await expectVerdicts(sealed, "deny", [
      "grant select on all tables in schema vault to public",
      "grant usage on schema vault to public",
      "alter default privileges in schema vault grant select on tables to public",
      "alter schema vault rename to open",
      "drop schema vault cascade",
      "import foreign schema x from server s into vault",
    ]);
    await expectVerdicts(sealed, "allow", ["grant select on all tables in schema other to public", "drop schema other cascade"]);
  });
  it("judges a DO block by its code, and says a CALL is judged by its procedure's body on the data path", async () => {
    const protect: Policy = { defaultAction: "allow", rules: [{ name: "protect", action: "deny", match: { tables: ["victims"], classes: ["write"] } }] };
    const block = await tryStatement(protect, agent, "do $$ begin delete from victims; end $$");
    expect(block.parsed && block.statements[0]).toMatchObject({ action: "deny", rule: "protect", tables: ["victims"] });
    const call = await tryStatement(protect, agent, "call purge()");
    expect(call.parsed && call.statements[0].note).toContain("it calls purge, which is no built-in: the gateway also judges what the body runs");
  });
  it("says a DDL statement's event triggers are judged on the data path, from the catalog it does not read", async () => {
    const r = await tryStatement(policy, { name: "dana", groups: ["dba"] }, "grant select on t to bob; select 1");
    expect(r.parsed && r.statements.map((s) => s.note)).toEqual([
      "it runs DDL: the gateway also judges what the target's event triggers run, read from the target's catalog, which this preview does not read",
      undefined,
    ]);
  });
  it("does not judge look-alikes by their text, and refuses what does not parse", async () => {
    expect((await tryStatement(policy, agent, "select 'drop table t'")).verdict).toBe("allow");
    const bad = await tryStatement(policy, agent, "selec 1");
    expect(bad.parsed).toBe(false);
    expect(bad.explanation).toContain("fail closed");
  });
});

describe("tryStatement with PREPARE and EXECUTE", () => {
  it("judges an EXECUTE by what was prepared earlier in the text, as the gateway does", async () => {
    const noWrites = { defaultAction: "allow" as const, rules: [{ name: "no-writes", action: "deny" as const, match: { classes: ["write" as const] } }] };
    const r = await tryStatement(noWrites, agent, "prepare p as delete from t; execute p");
    expect(r.parsed && r.statements.map((s) => [s.kind, s.classes.includes("write"), s.action, s.rule, s.position])).toEqual([
      ["PREPARE", true, "deny", "no-writes", 1],
      ["EXECUTE", true, "deny", "no-writes", 1],
    ]);
    expect(r.verdict).toBe("deny");
  });
  it("says who must approve a held text", async () => {
    const r = await tryStatement(policy, agent, "select 1; truncate t");
    expect(r.verdict).toBe("review");
    expect(r.explanation).toContain("1 approval(s) from members of dba");
  });
  it("shows the table lock each statement takes, and a locks rule decides on it", async () => {
    const locking = { defaultAction: "allow" as const, rules: [{ name: "no-rewrites", action: "review" as const, match: { locks: "ACCESS EXCLUSIVE" as const } }] };
    const r = await tryStatement(locking, agent, "select * from t; vacuum full t; vacuum t");
    expect(r.parsed && r.statements.map((s) => [s.kind, s.locks, s.action])).toEqual([
      ["SELECT", "ACCESS SHARE", "allow"],
      ["VACUUM", "ACCESS EXCLUSIVE", "review"],
      ["VACUUM", "SHARE UPDATE EXCLUSIVE", "allow"],
    ]);
    expect(r.verdict).toBe("review");
  });
});

describe("tryStatement on a MySQL connection", () => {
  const mysql = (text: string, p: Policy = policy) => tryStatement(p, agent, text, "mysql");
  it("reads the text as the MySQL listener does: an executable comment runs, backticks quote names", async () => {
    // Postgres reads /*! ... */ as a comment; MySQL and MariaDB run what is inside it.
    const hidden = await mysql("/*!40000 DROP TABLE `orders` */");
    expect(hidden.parsed && hidden.statements.map((s) => [s.kind, s.tables, s.action, s.rule])).toEqual([["DROP TABLE", ["orders"], "deny", "no-drops"]]);
    expect(hidden.explanation).toBe('the gateway answers 1142 "Gatehouse denied this DROP TABLE statement: rule "no-drops" matches this DROP TABLE statement"');
    expect((await tryStatement(policy, agent, "/*!40000 DROP TABLE orders */")).verdict).not.toBe("deny");
    expect((await mysql("select `id` from `shop`.`orders` use index (primary) where id <=> 1")).verdict).toBe("allow");
    // The session's database is not known to the preview: a deny rule on shop.* meets an unqualified table, as the gateway's does before it knows.
    const shop = { defaultAction: "allow" as const, rules: [{ name: "shop-read-only", action: "deny" as const, match: { tables: ["shop.*"], classes: ["write" as const] } }] };
    expect((await mysql("delete from orders where id = 1", shop)).verdict).toBe("deny");
    expect((await mysql("delete from other.orders where id = 1", shop)).verdict).toBe("allow");
    const bad = await mysql("select from where");
    expect(bad.parsed).toBe(false);
    expect(bad.explanation).toContain("1064");
  });
  it("judges an EXECUTE by what was prepared, and says what it cannot judge of a stored function's call", async () => {
    const noWrites = { defaultAction: "allow" as const, rules: [{ name: "no-writes", action: "deny" as const, match: { classes: ["write" as const] } }] };
    const r = await mysql("prepare s from 'delete from t where id = 1'; execute s", noWrites);
    expect(r.parsed && r.statements.map((s) => [s.kind, s.action])).toEqual([
      ["PREPARE", "deny"],
      ["EXECUTE", "deny"],
    ]);
    const call = await mysql("select erase_row(1), concat('a', 'b')", noWrites);
    expect(call.verdict).toBe("allow");
    expect(call.parsed && call.statements[0].note).toContain("it calls erase_row, which is no built-in: the gateway also judges what the body runs");
    // A write: its tables' triggers are judged on the data path, from the catalog the preview does not read.
    const write = await mysql("insert into jobs values (1)", noWrites);
    expect(write.parsed && write.statements[0].note).toBe(
      "it writes jobs: the gateway also judges what the write sets off (triggers, a view's tables, cascading foreign keys), read from the target's catalog, which this preview does not read",
    );
    // A read: whether its relations are views (and what is under them) is known on the data path only.
    const dropped = await mysql("drop view contacts", noWrites);
    expect(dropped.parsed && dropped.statements[0].note).toBeUndefined();
    // A plain CREATE TABLE reads no rows (of the table it creates, or of what it copies the shape of); CREATE TABLE ... SELECT does.
    for (const created of ["create table x (id int)", "create table x like contacts"]) {
      const c = await mysql(created, noWrites);
      expect(c.parsed && c.statements[0].note, created).toBeUndefined();
    }
    const copied = await mysql("create table x select * from contacts", noWrites);
    expect(copied.parsed && copied.statements[0].note).toMatch(/^it reads contacts\b/);
    for (const created of ["create table x (id int)", "create table x (like contacts)", "create table x partition of contacts for values in (1)"]) {
      const c = await tryStatement(noWrites, agent, created);
      expect(c.parsed && c.statements[0].note, created).toBe(
        "it runs DDL: the gateway also judges what the target's event triggers run, read from the target's catalog, which this preview does not read",
      );
    }
    const pgCopied = await tryStatement(noWrites, agent, "create table x as select * from contacts");
    expect(pgCopied.parsed && pgCopied.statements[0].note).toContain("it reads contacts: where that is a view");
    const read = await mysql("select * from contacts", noWrites);
    expect(read.parsed && read.statements[0].note).toBe(
      "it reads contacts: where that is a view, the gateway also judges the tables under it and what its definition calls, read from the target's catalog, which this preview does not read",
    );
  });
});
