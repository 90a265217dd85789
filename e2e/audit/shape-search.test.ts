import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { randomBytes } from "node:crypto";
import { openBothDatabases, type BothDatabases } from "../support/both-databases";
import { fuzzSeed, rng } from "../support/seeded-rng";
import { EventStore } from "../../core/audit/event-store";
import { pruneAudit } from "../../core/audit/audit-retention";
import type { JournalRow } from "../../core/audit/audit-journal";
import { auditEvents } from "../../drizzle/schema/index";
import { desc } from "drizzle-orm";

// The console's module guards against client bundles; this test is its server.
vi.mock("server-only", () => ({}));

// The audit stores a statement's shape and digit runs for its free-text search instead of indexing
// the whole text (core/audit/statement-shape.ts): here, on the real PostgreSQL (rows stored by COPY)
// and on the embedded database (by the insert), random statements stored as the gateway stores them
// are searched for random texts, and the search must find exactly what `statement ilike '%text%' or
// message ilike '%text%'` finds over the whole table. What the gateway computes for each row must be
// what the migration's SQL functions compute for it.
const pgServer = inject("pg");
let both: BothDatabases;
let handles: BothDatabases["handles"];
const random = rng(fuzzSeed()).next;

const PIECES = [
  "select",
  "SELECT",
  " ",
  " ",
  "from",
  "Orders",
  "where",
  "id",
  " = ",
  "=",
  "'",
  "''",
  "x",
  "é",
  "ß",
  "Straße",
  "İ",
  "%",
  "_",
  "\\",
  "\t",
  ",",
  "(",
  ")",
  "-",
  ".",
  "e",
  "0x",
  "$1",
  "null",
];
const digits = () => String(Math.floor(random() * 10 ** (1 + Math.floor(random() * 6))));
const piece = () => (random() < 0.3 ? digits() : PIECES[Math.floor(random() * PIECES.length)]);
const statement = () => Array.from({ length: 1 + Math.floor(random() * 12) }, piece).join("");
const flipCase = (s: string) => [...s].map((c) => (random() < 0.3 ? (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) : c)).join("");

let n = 0;
const journalRow = (statement: string | null, at = new Date(), instance = "shapes"): JournalRow => ({
  at: at.toISOString(),
  action: "statement",
  outcome: "ok",
  statement,
  message: random() < 0.1 ? statement : null,
  instance,
  seq: ++n,
  hash: "",
});

const STATEMENTS = Array.from({ length: 400 }, statement);

beforeAll(async () => {
  both = await openBothDatabases(pgServer, "gh_shapes");
  handles = both.handles;
  for (const h of Object.values(handles)) {
    const store = new EventStore(h.pool);
    const rows = [...STATEMENTS.map((s) => journalRow(s)), journalRow(null)];
    for (let i = 0; i < rows.length; i += 100) await store.store(rows.slice(i, i + 100));
  }
}, 120_000);

afterAll(async () => {
  await both?.close();
});

describe.each(["postgres", "embedded"] as const)("[AUDIT][SHAPES] statement shapes on %s", (name) => {
  it("stores what the migration's functions compute: each row's shape key and digit runs, each shape once", async () => {
    const { pool } = handles[name];
    const q = async (sql: string) => Number((await pool.query<{ n: string }>(sql)).rows[0].n);
    expect(await q("select count(*) as n from audit_events where statement is not null and shape_hash is null")).toBe(0);
    expect(
      await q("select count(*) as n from audit_events where shape_hash is distinct from audit_statement_shape_hash(statement) or numbers is distinct from audit_statement_numbers(statement)"),
    ).toBe(0);
    expect(await q("select count(*) as n from audit_statement_shapes where hash <> audit_statement_shape_hash(shape) or shape <> audit_statement_shape(shape)")).toBe(0);
    expect(await q("select count(distinct shape_hash) as n from audit_events")).toBe(await q("select count(*) as n from audit_statement_shapes"));
    expect(await q("select count(*) as n from audit_events where numbers is not null")).toBeGreaterThan(100);
  });

  it("finds what ilike over every statement and message finds, for 300 random texts", async () => {
    const { db, pool } = handles[name];
    const { searchAudit } = await import("../../server/audit/search-audit");
    const { likeEscape } = await import("../../server/sessions/like-escape");
    const { textCondition, textTerm } = await import("../../server/audit/text-term");
    let found = 0;
    for (let i = 0; i < 300; i++) {
      const source = STATEMENTS[Math.floor(random() * STATEMENTS.length)];
      const start = Math.floor(random() * source.length);
      const text = random() < 0.8 ? flipCase(source.slice(start, start + 1 + Math.floor(random() * 15))) : statement().slice(0, 12);
      if (!text.trim()) continue;
      const want = await pool.query<{ id: string }>("select id from audit_events where statement ilike $1 or message ilike $1 order by id desc", [`%${likeEscape(text)}%`]);
      const got = await searchAudit(db, { q: text, limit: 1000 });
      expect(
        got.items.map((e) => e.id),
        JSON.stringify(text),
      ).toEqual(want.rows.map((r) => Number(r.id)));
      found += want.rows.length;
      // With more matching shapes than it lists, the search drops that condition and finds the same.
      if (i % 3 === 0) {
        const term = { ...(await textTerm(db, text)), shapes: null };
        const unlisted = await db.select({ id: auditEvents.id }).from(auditEvents).where(textCondition(term)).orderBy(desc(auditEvents.id));
        expect(
          unlisted.map((e) => e.id),
          JSON.stringify(text),
        ).toEqual(want.rows.map((r) => Number(r.id)));
      }
    }
    expect(found).toBeGreaterThan(300);
  });

  it("retention deletes the shapes no event uses any more, and keeps the others", async () => {
    const { pool } = handles[name];
    const store = new EventStore(pool);
    const old = new Date(Date.now() - 100 * 86_400_000);
    await store.store([journalRow("select 'a retired shape' from t1", old, "shapes-old"), journalRow(STATEMENTS[0], old, "shapes-old")]);
    const shapes = async () => (await pool.query<{ shape: string }>("select shape from audit_statement_shapes")).rows.map((r) => r.shape);
    expect(await shapes()).toContain("select 'a retired shape' from t0");
    const before = (await shapes()).length;
    expect(await pruneAudit(pool, randomBytes(32), 30)).toBe(2);
    expect(await shapes()).not.toContain("select 'a retired shape' from t0");
    expect((await shapes()).length).toBe(before - 1);
  });
});
