import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import postgres from "postgres";
import { run, startTestGateway, type TestGateway } from "../support/gateway-harness";

let t: TestGateway;
let key: string;

beforeAll(async () => {
  t = await startTestGateway();
  key = await t.setupAccess({ connection: "drivers" });
});
afterAll(() => t?.close());

describe("[POSTGRES][DRIVERS] real drivers through the gateway", () => {
  it("node-postgres: named prepared statements, binary results, transactions and SQLSTATEs", async () => {
    const c = new pg.Client({ host: "127.0.0.1", port: t.pgPort, database: "drivers", user: "agent", password: key, application_name: "np-test" });
    await c.connect();
    try {
      await c.query("create temp table np (id int, payload bytea, at timestamptz default now())");
      for (let i = 0; i < 20; i++) await c.query({ name: "ins", text: "insert into np (id, payload) values ($1, $2)", values: [i, Buffer.from([i, 255 - i])] });
      // Binary-format results arrive byte for byte as the target sent them (compared with a direct connection).
      const binaryQuery = { text: "select $1::int as id, '\\x07f8'::bytea as payload, 2.5::float8 as f, now() - now() as i", values: [7], binary: true };
      const bin = await c.query(binaryQuery);
      const direct = new pg.Client({ connectionString: t.target.url("shop") });
      await direct.connect();
      const expected = await direct.query(binaryQuery).finally(() => direct.end());
      expect(bin.rows).toEqual(expected.rows);
      expect(bin.rows[0].f).toBe(2.5);
      await c.query("begin");
      await c.query("delete from np where id < 10");
      await c.query("rollback");
      expect((await c.query("select count(*)::int as n from np")).rows[0].n).toBe(20);
      const err = await c.query("select * from nope").catch((e) => e);
      expect(err.code).toBe("42P01");
      expect((await c.query("select current_setting('application_name') as a")).rows[0].a).toBe("np-test");
    } finally {
      await c.end();
    }
  });

  it("postgres.js: pipelined concurrent queries, prepared statements and COPY", async () => {
    const sql = postgres({ host: "127.0.0.1", port: t.pgPort, database: "drivers", username: "agent", password: key, max: 1, prepare: true });
    try {
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => sql`select ${i}::int as i, md5(${String(i)}) as h`));
      expect(results.map((r) => r[0].i)).toEqual(Array.from({ length: 200 }, (_, i) => i));
      await sql`create temp table pj (id int, name text)`;
      const writable = await sql`copy pj from stdin`.writable();
      await new Promise<void>((resolve, reject) => writable.end("1\tone\n2\ttwo\n", () => resolve()).on("error", reject));
      expect(await sql`select name from pj order by id`).toMatchObject([{ name: "one" }, { name: "two" }]);
      const err = await sql`select 1/0`.catch((e) => e);
      expect(err.code).toBe("22012");
      const [{ ok }] = await sql`select 'recovered' as ok`;
      expect(ok).toBe("recovered");
    } finally {
      await sql.end();
    }
  });

  it("pgbench initialises and runs in simple, extended and prepared modes without failures", async () => {
    const env = { PGPASSWORD: key, PGHOST: "127.0.0.1", PGPORT: String(t.pgPort), PGUSER: "agent", PGSSLMODE: "disable" };
    const init = await run("pgbench", ["-i", "-s", "1", "-q", "drivers"], { env });
    expect(init.code, init.stderr).toBe(0);
    for (const mode of ["simple", "extended", "prepared"]) {
      const r = await run("pgbench", ["-M", mode, "-c", "2", "-j", "1", "-t", "200", "drivers"], { env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/number of transactions actually processed: 400\/400/);
      expect(r.stdout).toMatch(/number of failed transactions: 0/);
    }
  });
});
