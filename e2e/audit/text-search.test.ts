import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { openBothDatabases, type BothDatabases } from "../support/both-databases";
import { INSERT_EVENTS_SQL, insertParams } from "../../core/audit/event-store";

// The console's module guards against client bundles; this test is its server.
vi.mock("server-only", () => ({}));

// The audit log's free-text search, on the real PostgreSQL and on the embedded database: the
// migration loads pg_trgm in both, the trigram indexes serve `ilike`, and the search stays what a
// user expects: a case-insensitive substring of the statement or the message, `%` and `_` literal.
// (Its speed at a million events is measured by `npm run bench:console`, not asserted here.)
const pgServer = inject("pg");
let both: BothDatabases;
let handles: BothDatabases["handles"];

const ROWS: Array<[string | null, string | null]> = [
  ["SELECT * FROM Orders WHERE customer_id = 4242", null],
  ["update inventory set quantity = 1 where sku = 'SKU-77'", null],
  ["insert into notes values (1)", 'duplicate key value violates unique constraint "notes_pkey"'],
  ["select '100%_done'", null],
  ["select '100 and more_done'", null],
  [null, "application psql"],
];

/** A statement stored without a shape (by hand, or before shapes were stored): found by its own index. */
const UNSHAPED = "SELECT * FROM legacy_orders WHERE id = 99";

/** The seconds past 2026-01-01T00:00:00Z of the window events, in the order they are stored. */
const WINDOW = [5, 1, 3, 3, 2, 6, 4, 0, 5];

beforeAll(async () => {
  both = await openBothDatabases(pgServer, "gh_search");
  handles = both.handles;
  for (const h of Object.values(handles)) {
    // Stored as the gateway stores them (with their shapes and digit runs), and one written by hand without (an older row).
    for (const [seq, [statement, message]] of ROWS.entries())
      await h.pool.query(INSERT_EVENTS_SQL, insertParams([{ at: new Date().toISOString(), action: "statement", outcome: "ok", statement, message, instance: "search", seq: seq + 1, hash: "" }]));
    await h.pool.query("insert into audit_events (action, outcome, statement) values ('statement', 'ok', $1)", [UNSHAPED]);
    // A time window's events, stored out of time order (as a journal replayed after a crash stores them), two at one instant.
    for (const [n, second] of WINDOW.entries())
      await h.pool.query("insert into audit_events (action, outcome, statement, at) values ('statement', 'ok', $1, $2)", [`window-${n}`, `2026-01-01T00:00:0${second}Z`]);
    // Filler, so that the planner has a table to choose an index for.
    await h.pool.query("insert into audit_events (action, outcome, statement) select 'statement', 'ok', 'select ' || g from generate_series(1, 2000) g");
    await h.pool.query("analyze audit_events");
  }
}, 120_000);

afterAll(async () => {
  await both?.close();
});

describe.each(["postgres", "embedded"] as const)("[AUDIT][SEARCH] free-text search on %s", (name) => {
  const search = async (q: string) => {
    const { searchAudit } = await import("../../server/audit/search-audit");
    const { items } = await searchAudit(handles[name].db, { q, limit: 50 });
    return items.map((e) => e.statement ?? e.message);
  };

  it("finds a case-insensitive substring of the statement or the message; % and _ are literal", async () => {
    expect(await search("orders where CUSTOMER_ID = 4242")).toEqual([ROWS[0][0]]);
    expect(await search("sku-77")).toEqual([ROWS[1][0]]);
    expect(await search("Unique Constr")).toEqual([ROWS[2][0]]);
    expect(await search("100%_d")).toEqual([ROWS[3][0]]);
    expect(await search("psql")).toEqual([ROWS[5][1]]);
    expect(await search("LEGACY_orders where id = 9")).toEqual([UNSHAPED]);
    // A digit run of the text inside one of the statement's, and a text that ends inside one.
    expect(await search("customer_id = 424")).toEqual([ROWS[0][0]]);
    expect(await search("4242")).toEqual([ROWS[0][0]]);
    expect(await search("customer_id = 42420")).toEqual([]);
    // Shorter than a trigram: still a substring search.
    expect((await search("ku")).length).toBe(1);
    expect(await search("no such text anywhere")).toEqual([]);
  });

  it("pages a common term newest first, by keyset, as without the indexes", async () => {
    const { searchAudit } = await import("../../server/audit/search-audit");
    const db = handles[name].db;
    const first = await searchAudit(db, { q: "SELECT 1", limit: 3 });
    expect(first.items.map((e) => e.statement)).toEqual(["select 1999", "select 1998", "select 1997"]);
    const next = await searchAudit(db, { q: "SELECT 1", limit: 3, cursor: first.nextCursor });
    expect(next.items.map((e) => e.statement)).toEqual(["select 1996", "select 1995", "select 1994"]);
  });

  it("pages a time window newest first by time (ties by id), each event once, by keyset; the export reads it alike", async () => {
    const { searchAudit } = await import("../../server/audit/search-audit");
    const { exportAuditStream } = await import("../../server/audit/export-audit");
    const db = handles[name].db;
    const window = { from: new Date("2026-01-01T00:00:01Z"), to: new Date("2026-01-01T00:00:05Z") };
    const want = WINDOW.map((second, n) => ({ second, n }))
      .filter((e) => e.second >= 1 && e.second <= 5)
      .sort((a, b) => b.second - a.second || b.n - a.n)
      .map((e) => `window-${e.n}`);
    const paged: string[] = [];
    let cursor: number | undefined;
    for (let page = 0; page < 10; page++) {
      const r = await searchAudit(db, { ...window, limit: 2, cursor });
      paged.push(...r.items.map((e) => e.statement ?? ""));
      if (!r.nextCursor) break;
      cursor = r.nextCursor;
    }
    expect(paged).toEqual(want);
    const text = await new Response(exportAuditStream(db, window, "jsonl")).text();
    expect(
      text
        .trim()
        .split("\n")
        .map((l) => (JSON.parse(l) as { statement: string }).statement),
    ).toEqual(want);
  });

  it("has pg_trgm loaded and trigram indexes that serve ilike: on shapes, on digit runs, on statements stored without a shape, on messages", async () => {
    const client = await handles[name].pool.connect();
    const plan = async (sql: string, params: unknown[]) => (await client.query<{ "QUERY PLAN": string }>(`explain ${sql}`, params)).rows.map((r) => r["QUERY PLAN"]).join("\n");
    try {
      await client.query("set enable_seqscan = off");
      expect(await plan("select hash from audit_statement_shapes where shape ilike $1", ["%where customer_id = 0%"])).toContain("audit_statement_shapes_trgm_idx");
      expect(await plan("select id from audit_events where numbers ilike $1", ["%4242%"])).toContain("audit_events_numbers_trgm_idx");
      const events = await plan("select id from audit_events where (shape_hash is null and statement ilike $1) or message ilike $1", ["%constraint%"]);
      for (const index of ["audit_events_unshaped_statement_trgm_idx", "audit_events_message_trgm_idx"]) expect(events).toContain(index);
    } finally {
      await client.query("reset enable_seqscan").catch(() => {});
      client.release();
    }
  });
});
