import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import postgres from "postgres";
import { startMaskedGateway, type MaskedSetup } from "./support/masked-gateway";
import { SEEDED } from "./support/seed";

let s: MaskedSetup;
beforeAll(async () => {
  s = await startMaskedGateway("masked-writes");
});
afterAll(() => s?.close());

/** What the target really holds for customer 1 (read directly, not through the gateway). */
async function truth(): Promise<{ name: string; email: string; card: string }> {
  const c = new pg.Client({ connectionString: s.directUrl });
  await c.connect();
  try {
    return (await c.query("select name, email, card from customers where id = 1")).rows[0];
  } finally {
    await c.end();
  }
}

/** A node-postgres session through the gateway as the agent. */
async function agentClient(): Promise<pg.Client> {
  const c = new pg.Client({ host: "127.0.0.1", port: s.t.pgPort, database: s.connection, user: "agent", password: s.key });
  await c.connect();
  return c;
}

describe("[MASKING][WRITE-BACK] an agent cannot write what it was shown back into the data", () => {
  it.each([
    "update customers set name = '[REDACTED]' where id = 1",
    "update customers set email = 'tok_abcdefghijklmnop' where id = 1",
    "update customers set card = '************1111' where id = 1",
    "update customers set (name, note) = ('[REDACTED]', 'x') where id = 1",
    "insert into customers (id, name, email) values (5, 'Eve', 'tok_abcdefghijklmnop')",
    "insert into customers values (6, '[REDACTED]')",
    "insert into customers (id, name) values (1, 'x') on conflict (id) do update set name = '[REDACTED]'",
    "with w as (update customers set email = 'tok_abcdefghijklmnop' where id = 1 returning 1) select * from w",
    // SQL-level PREPARE and EXECUTE: the EXECUTE's arguments are judged as a Bind's values are.
    "prepare w1 as update customers set card = $1 where id = 1; execute w1('************1111')",
    "prepare w2(text, int) as update customers set name = $1 where id = $2; execute w2('[REDACTED]', 1)",
    // A batch of edited rows written back from a VALUES list, and MERGE.
    "update customers c set card = v.card from (values (1, '************1111')) as v(id, card) where c.id = v.id",
    "merge into customers c using (values (1, '[REDACTED]')) v(id, name) on c.id = v.id when matched then update set name = v.name",
    // Through an updatable view over the masked columns (its name is no rule's: the catalog says what it reads).
    "update customer_contacts set card = '************1111' where id = 1",
    "update customer_contacts set contact = 'tok_abcdefghijklmnop' where id = 1",
  ])("refuses %s with 42501, and nothing changes", async (sql) => {
    const before = await truth();
    const r = await s.psql(s.key, sql, ["-v", "VERBOSITY=verbose"]);
    expect(r.stderr).toMatch(/ERROR: {2}42501: Gatehouse refused this write: it would store a masked value into (customers\.|customer_contacts\.\* \(a view over a masked column\))/);
    expect(await truth()).toEqual(before);
  });

  it("refuses COPY FROM STDIN into a column a rule masks (its rows are not read for masked values); a COPY into an uncovered table loads", async () => {
    const count = async () => {
      const c = new pg.Client({ connectionString: s.directUrl });
      await c.connect();
      try {
        return Number((await c.query("select count(*) as n from customers")).rows[0].n);
      } finally {
        await c.end();
      }
    };
    const before = await count();
    const refused = await s.t.psql(s.key, s.connection, ["-X", "-v", "VERBOSITY=verbose", "-c", "copy customers (id, name, email) from stdin"], "77\t[REDACTED]\ttok_abcdefghijklmnop\n\\.\n");
    expect(refused.stderr).toContain("ERROR:  42501: Gatehouse refused this COPY: it loads rows into customers.name, a column masking protects");
    const whole = await s.t.psql(s.key, s.connection, ["-X", "-c", "copy customers from stdin"], "78\t[REDACTED]\n\\.\n");
    expect(whole.stderr).toContain("Gatehouse refused this COPY");
    expect(await count()).toBe(before);
    // A table no column rule covers loads as before.
    const loaded = await s.t.psql(s.key, s.connection, ["-X", "-c", "copy orders (id, customer_id, total) from stdin"], "79\t1\t3.50\n\\.\n");
    expect(loaded.stderr + loaded.stdout).toBe("COPY 1\n");
  });

  it("refuses a masked value written back through a staging table (a temp table filled with what was shown, then UPDATE ... FROM it)", async () => {
    const before = await truth();
    const c = await agentClient();
    try {
      const [shown] = (await c.query("select id, name, email from customers where id = 1")).rows;
      await c.query("create temp table fix (id int, email text, name text)");
      // A table no rule covers takes the values (bound, and as literals); reading them back into a masked column is refused.
      await c.query("insert into fix values ($1, $2, null)", [shown.id, shown.email]);
      const fromBind = await c.query("update customers c set email = f.email from fix f where c.id = f.id").catch((e: Error & { code?: string }) => e);
      expect((fromBind as { code?: string }).code).toBe("42501");
      expect((fromBind as Error).message).toContain("(from fix, which this session gave masked values)");
      await c.query(`create temp table fix2 (id int, name text); insert into fix2 values (1, '${shown.name}')`);
      const fromLiteral = await c.query("merge into customers c using fix2 f on c.id = f.id when matched then update set name = f.name").catch((e: Error & { code?: string }) => e);
      expect((fromLiteral as { code?: string }).code).toBe("42501");
      // A staging table of real values is a bulk update like any other.
      await c.query("create temp table real_names (id int, name text); insert into real_names values (2, 'Bob Renamed Again')");
      await c.query("update customers c set name = r.name from real_names r where c.id = r.id");
    } finally {
      await c.end();
    }
    expect(await truth()).toEqual(before);
  });

  it("refuses a masked value in a bound parameter (node-postgres and postgres.js), and lets real values through", async () => {
    const before = await truth();
    const c = await agentClient();
    try {
      const [shown] = (await c.query("select email from customers where id = 1")).rows;
      const err = await c.query("update customers set email = $1 where id = $2", [shown.email, 1]).catch((e: Error & { code?: string }) => e);
      expect((err as { code?: string }).code).toBe("42501");
      expect((err as Error).message).toContain("masked value into customers.email");
      // PREPARE in one text, EXECUTE in a later one: the arguments are judged against the statement prepared.
      await c.query("prepare w3 as update customers set email = $1 where id = 1");
      const executed = await c.query(`execute w3('${shown.email}')`).catch((e: Error & { code?: string }) => e);
      expect((executed as { code?: string }).code).toBe("42501");
      // Through a view over the masked column, as a bound parameter; a real value through it is written.
      const viaView = await c.query("update customer_contacts set contact = $1 where id = $2", [shown.email, 1]).catch((e: Error & { code?: string }) => e);
      expect((viaView as { code?: string }).code).toBe("42501");
      expect((viaView as Error).message).toContain("customer_contacts.* (a view over a masked column)");
      // The session goes on, and a real value is written.
      await c.query("update customers set note = $1 where id = $2", ["[REDACTED] is fine here: note has no rule", 2]);
      await c.query("update customers set name = $1 where id = $2", ["Bob Renamed", 2]);
    } finally {
      await c.end();
    }
    const sql = postgres({ host: "127.0.0.1", port: s.t.pgPort, database: s.connection, username: "agent", password: s.key, max: 1 });
    try {
      const err = await sql`update customers set name = ${"[REDACTED]"} where id = ${1}`.catch((e: Error) => e);
      expect((err as { code?: string }).code).toBe("42501");
      expect((await sql`select 1 as ok`)[0].ok).toBe(1);
    } finally {
      await sql.end();
    }
    expect(await truth()).toEqual(before);
    expect(before.name).toBe(SEEDED.name);
  });
});
