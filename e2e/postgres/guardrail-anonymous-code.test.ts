import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";

// Rules that protect one table (not whole classes of statement) against code that hides what it
// touches: a DO block, a CALL of the target's procedure, SQL built at run time. On the run's private
// PostgreSQL with psql and node-postgres; the tables are the judge of whether a write slipped past.
let t: TestGateway;
let key: string;
const victims = `anon_victims_${process.pid}`;
const secrets = `anon_secrets_${process.pid}`;
// Every name carries the file's prefix: the run's tests share one database, and a worker process (one pid) runs several files.
const proc = (name: string) => `anon_${name}_${process.pid}`;
const SSN = "078-05-1120";
const policyFile = path.join(tmpdir(), `gatehouse-anonymous-policy-${process.pid}.json`);

beforeAll(async () => {
  t = await startTestGateway();
  key = await t.setupAccess({ connection: "anon", identity: "anon-agent" });
  const made = await t.psql(key, "anon", [
    "-v",
    "ON_ERROR_STOP=1",
    "-qc",
    `create table ${victims} (id int); insert into ${victims} values (1), (2), (3);
     create table ${secrets} (ssn text); insert into ${secrets} values ('${SSN}');
     create procedure ${proc("purge")}() language plpgsql as $$ begin delete from ${victims}; end $$;
     create procedure ${proc("purge_sql")}() language sql as $$ delete from ${victims} $$;
     create procedure ${proc("leak")}(inout v text) language plpgsql as $$ begin v := (select ssn from ${secrets} limit 1); end $$;
     create procedure ${proc("dynamic")}() language plpgsql as $$ begin execute 'delete from anon_' || 'victims_${process.pid}'; end $$;
     create procedure ${proc("harmless")}(inout n int) language plpgsql as $$ begin n := n + 1; end $$;
     create function ${proc("purge_trg")}() returns trigger language plpgsql as $$ begin delete from ${victims}; return new; end $$;
     create table ${proc("jobs")} (id int);
     create function ${proc("purge_fn")}() returns int language sql as $$ delete from ${victims} returning 1 $$;`,
  ]);
  if (made.code !== 0) throw new Error(made.stderr);
  const rules = [
    { name: "protect-victims", action: "deny", match: { tables: [`public.${victims}`], classes: ["write"] } },
    { name: "no-secrets", action: "deny", match: { tables: [`public.${secrets}`], kinds: ["SELECT"] } },
  ];
  writeFileSync(policyFile, JSON.stringify({ defaultAction: "allow", rules }));
  const applied = await t.cli("policies", "apply", "anon", "-f", policyFile);
  if (applied.code !== 0) throw new Error(applied.stderr);
  await new Promise((r) => setTimeout(r, 1500)); // the gateway picks the change up from the bus
});
afterAll(() => t?.close());

const count = async () => (await t.psql(key, "anon", ["-qAtc", `select count(*) from ${victims}`])).stdout.trim();

describe("[GUARDRAILS][ANONYMOUS CODE] a rule on a table meets the DO blocks and procedures that touch it", () => {
  it("refuses a DO block or a CALL whose code writes the protected table or reads the secret one, and code it cannot read; harmless code runs", async () => {
    for (const [sql, rule, says] of [
      [`do $$ begin delete from ${victims}; end $$`, "protect-victims", `it runs a DO block, whose code runs DELETE (tables ${victims})`],
      [`do $$ begin perform ssn from ${secrets}; end $$`, "no-secrets", `it runs a DO block, whose code reads (tables ${secrets})`],
      [`call ${proc("purge")}()`, "protect-victims", `it calls ${proc("purge")}, a stored function whose body runs DELETE (tables ${victims})`],
      [`call ${proc("purge_sql")}()`, "protect-victims", `it calls ${proc("purge_sql")}, a stored function whose body runs DELETE (tables ${victims})`],
      [`call ${proc("leak")}(null)`, "no-secrets", `it calls ${proc("leak")}, a stored function whose body reads (tables ${secrets})`],
      // SQL built at run time, in a block or a procedure: it may touch any table.
      [`do $$ begin execute 'delete from anon_' || 'victims_${process.pid}'; end $$`, "protect-victims", "it runs SQL built at run time (EXECUTE)"],
      [`call ${proc("dynamic")}()`, "protect-victims", "it runs SQL built at run time (EXECUTE)"],
      [`do language plperl $$ 1 $$`, "protect-victims", "a DO block in plperl, which the gateway cannot read"],
    ]) {
      const r = await t.psql(key, "anon", ["-c", sql]);
      expect(r.stderr, sql).toContain(`Gatehouse denied this statement: rule "${rule}"`);
      expect(r.stderr, sql).toContain(says);
      expect(r.stdout + r.stderr, sql).not.toContain(SSN);
    }
    // The extended protocol is judged the same way.
    const client = new pg.Client({ host: "127.0.0.1", port: t.pgPort, database: "anon", user: "agent", password: key, ssl: false });
    await client.connect();
    try {
      expect(await client.query(`call ${proc("purge")}()`).catch((e: Error) => e)).toMatchObject({ code: "42501" });
      expect(await client.query(`call ${proc("leak")}($1)`, ["x"]).catch((e: Error) => e)).toMatchObject({ code: "42501" });
      // What touches neither table runs.
      const { rows } = await client.query(`call ${proc("harmless")}(41)`);
      expect(rows).toEqual([{ n: 42 }]);
    } finally {
      await client.end();
    }
    const hello = await t.psql(key, "anon", ["-c", "do $$ begin raise notice 'hello from a block'; end $$"]);
    expect(hello.stderr).toContain("NOTICE:  hello from a block");
    expect(await count()).toBe("3");
  });

  it("[SAME TEXT] judges a statement that uses a view, function or trigger an earlier statement of the same text defines as code it cannot see; sent apart, by what was defined", async () => {
    const v = proc("same_v");
    for (const [sql, rule] of [
      // Code the gateway cannot see may touch any table: the first rule on a table (here on writes) meets it.
      [`create view ${v} as select ssn from ${secrets}; select * from ${v}`, "protect-victims"],
      [`create function ${proc("evil")}() returns int language sql as 'delete from ${victims} returning 1'; select ${proc("evil")}()`, "protect-victims"],
      [`create trigger jt before insert on ${proc("jobs")} for each row execute function ${proc("purge_trg")}(); insert into ${proc("jobs")} values (1)`, "protect-victims"],
    ]) {
      const r = await t.psql(key, "anon", ["-c", sql]);
      expect(r.stderr, sql).toContain(`Gatehouse denied this statement: rule "${rule}"`);
      expect(r.stderr, sql).toContain("which an earlier statement of this text creates or changes");
      expect(r.stdout + r.stderr, sql).not.toContain(SSN);
    }
    // A text that defines and uses nothing of the kind runs whole.
    const fresh = await t.psql(key, "anon", ["-qAtc", `create table ${proc("fresh")} (id int); insert into ${proc("fresh")} values (1); select count(*) from ${proc("fresh")}`]);
    expect(fresh.stderr).toBe("");
    expect(fresh.stdout.trim()).toBe("1");
    // Sent as separate texts, the second is judged by the view the first made.
    const made = await t.psql(key, "anon", ["-c", `create view ${v}2 as select ssn from ${secrets}`]);
    expect(made.stderr).toBe("");
    const read = await t.psql(key, "anon", ["-c", `select * from ${v}2`]);
    expect(read.stderr).toContain(`it reads ${v}2, a view that reads (tables public.${secrets})`);
    expect(read.stdout).not.toContain(SSN);
    expect(await count()).toBe("3");
  });

  it("[ALLOW] an allow-list of SELECT lets through reads only: not a SELECT whose CTE or function deletes, nor a DO block", async () => {
    const roKey = await t.setupAccess({ connection: "anon-ro", identity: "ro-agent" });
    writeFileSync(policyFile, JSON.stringify({ defaultAction: "deny", rules: [{ name: "reads-only", action: "allow", match: { kinds: ["SELECT"] } }] }));
    const applied = await t.cli("policies", "apply", "anon-ro", "-f", policyFile);
    if (applied.code !== 0) throw new Error(applied.stderr);
    await new Promise((r) => setTimeout(r, 1500));
    for (const sql of [
      `with gone as (delete from ${victims} returning *) select count(*) from gone`,
      `select ${proc("purge_fn")}()`,
      `select * into ${proc("copied")} from ${victims}`,
      "do $$ begin perform 1; end $$",
    ]) {
      const r = await t.psql(roKey, "anon-ro", ["-c", sql]);
      expect(r.stderr, sql).toContain("Gatehouse denied this statement: no rule matches; the connection's default is deny");
    }
    const read = await t.psql(roKey, "anon-ro", ["-qAtc", `select count(*) from ${victims}`]);
    expect(read.stdout.trim()).toBe("3");
  });
});
