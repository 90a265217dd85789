import { afterAll, beforeAll, describe, expect, it } from "vitest";
import path from "node:path";
import pg from "pg";
import postgres from "postgres";
import { leaksIn, startMaskedGateway, type MaskedSetup } from "./support/masked-gateway";
import { ORDER_NO, SEEDED } from "./support/seed";
import { run } from "../support/run-program";
import { eq } from "drizzle-orm";
import { auditEvents } from "../../drizzle/schema/index";

let s: MaskedSetup;
beforeAll(async () => {
  s = await startMaskedGateway("masked-drivers");
});
afterAll(() => s?.close());

const QUERIES = [
  "select * from customers order by id",
  "select name, email as e, md5(email) as h, card, card_no, profile, tags, note, ssn, iban, phone, order_no from customers order by id",
  "select row_to_json(c) as j, to_jsonb(c) as jb, array_agg(email) over () as a, row(name, email) as r from customers c",
  "select * from customer_contacts",
  "select json_agg(c) from customers c",
  "select array[profile] as profiles, array[row(id, email)] as rs from customers",
];

// node-postgres asks for binary-format results with `binary: true` (not in its QueryConfig type).
function binary(text: string, values: unknown[] = []) {
  const q = { text, values, binary: true };
  return q;
}

describe("[MASKING][DRIVERS] real drivers, text and binary results, extended protocol", () => {
  it("node-postgres: text and binary-format results carry no seeded value, and still decode", async () => {
    const c = new pg.Client({ host: "127.0.0.1", port: s.proxy.port, database: s.connection, user: "agent", password: s.key });
    await c.connect();
    try {
      s.proxy.reset();
      for (const text of QUERIES) {
        await c.query(text);
        await c.query(binary(text));
        if (text.includes("order by id")) await c.query(binary(text.replace("order by id", "where id > $1 order by id"), [0]));
      }
      expect(leaksIn(s.proxy.received())).toEqual([]);
      const bin = await c.query(binary("select id, name, email, card, card_no, profile, tags, order_no from customers order by id"));
      expect(bin.rows[0].name).toBe("[REDACTED]");
      expect(bin.rows[0].email).toMatch(/^tok_[a-z2-7]{16}$/);
      expect(bin.rows[0].card).toBe("************1111");
      expect(bin.rows[0].card_no).toBeNull(); // a bigint cannot hold a marker
      expect(bin.rows[0].order_no).toBe(ORDER_NO);
      expect(bin.rows[0].id).toBe(1);
      const textRows = await c.query("select email, profile from customers order by id");
      expect(textRows.rows[0].email).toBe(bin.rows[0].email); // one token per value, whatever the format
      expect(textRows.rows[0].profile.contact.mail).toBe("[REDACTED:email]");
    } finally {
      await c.end();
    }
  });

  it("postgres.js: prepared statements (described once, executed many times) and COPY", async () => {
    const sql = postgres({ host: "127.0.0.1", port: s.proxy.port, database: s.connection, username: "agent", password: s.key, max: 1, prepare: true });
    try {
      s.proxy.reset();
      for (let i = 0; i < 3; i++) {
        const rows = await sql`select id, name, email, card, profile, tags, upper(name) as shout from customers where id >= ${1} order by id`;
        expect(rows[0].name).toBe("[REDACTED]");
        expect(rows[0].shout).toBe("[REDACTED]");
        expect(rows[0].email).toMatch(/^tok_/);
      }
      await sql.unsafe("select * from customers");
      const chunks: Buffer[] = [];
      const readable = await sql`copy customers to stdout with (format csv)`.readable();
      for await (const chunk of readable) chunks.push(Buffer.from(chunk));
      expect(Buffer.concat(chunks).toString()).toContain("[REDACTED]");
      const err = await sql`insert into customers (id, name, email) values (9, 'x', ${SEEDED.email})`.catch((e: Error) => e);
      expect(String((err as { detail?: string }).detail)).toContain("Key (email)=([REDACTED");
      expect(leaksIn(s.proxy.received())).toEqual([]);
    } finally {
      await sql.end();
    }
  });

  it("asyncpg: binary results, and its type introspection over the system catalogs is not masked (a rule on customers.name once made it unusable)", async () => {
    s.proxy.reset();
    const script = path.join(import.meta.dirname, "support/asyncpg_masked.py");
    const r = await run("/usr/bin/python3", [script, String(s.proxy.port), s.connection, s.key]);
    expect(r.stderr).toBe("");
    const [rows, introspected, masked] = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows[0]).toMatchObject({ id: 1, name: "[REDACTED]", card_no: null });
    expect(rows[0].email).toMatch(/^tok_/);
    expect(introspected).toEqual([{ profiles: ["{}"], pairs: [[2, "x"]] }]);
    expect(masked).toEqual([{ rs: null }]);
    expect(leaksIn(s.proxy.received())).toEqual([]);
  });

  it("records only counts of what was masked, per statement, in the audit trail", async () => {
    const c = new pg.Client({ host: "127.0.0.1", port: s.t.pgPort, database: s.connection, user: "agent", password: s.key });
    await c.connect();
    await c.query("select name, email, note from customers order by id");
    await c.query("select name::int from customers").catch(() => undefined);
    await c.end();
    // node-postgres rejects on the ErrorResponse; the gateway writes the failed statement's event at the
    // ReadyForQuery that follows, which may still be on its way: poll the store until both are there.
    type Row = { statement?: string | null; details?: { masked?: Record<string, number> } | null; message?: string | null };
    let events: Row[] = [];
    for (let i = 0; i < 100; i++) {
      await s.t.gw.deps.audit.flush();
      events = (await s.t.gw.deps.db.select().from(auditEvents).where(eq(auditEvents.connectionName, s.connection))) as Row[];
      if (events.some((e) => e.statement === "select name::int from customers")) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(leaksIn(JSON.stringify(events))).toEqual([]);
    const read = events.find((e) => e.statement === "select name, email, note from customers order by id");
    expect(read?.details?.masked).toEqual({ "column:customers.name": 2, "column:customers.email": 2, jwt: 1, "cloud-key": 1 });
    const failed = events.find((e) => e.statement === "select name::int from customers");
    expect(failed?.message).toContain('"[REDACTED]"');
  });
});
