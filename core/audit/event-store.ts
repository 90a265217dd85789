import type pg from "pg";
import { finished } from "node:stream/promises";
import { from as copyFrom } from "pg-copy-streams";
import type { JournalRow } from "./audit-journal";
import { COPY_EVENTS_SQL, copyLines, SEARCH_COLUMNS, STORED_COLUMNS, type BatchShapes, type StoredRow } from "./copy-rows";
import { shapeOf } from "./statement-shape";

/** The shapes of a batch, each stored once, from the parameters that hold their keys and their texts. */
const insertShapes = (keys: string, texts: string) => `insert into audit_statement_shapes (hash, shape) select * from unnest(${keys}::bigint[], ${texts}::text[]) on conflict do nothing`;
export const INSERT_SHAPES_SQL = insertShapes("$1", "$2");

// The batch travels as one JSON parameter: JSON.stringify is native and fast, where the driver's
// conversion of sixteen column arrays to Postgres array literals was a large share of the data path's CPU.
// (instance, seq) is unique: a row shipped before a crash and again from the journal after it is stored once.
// The rows' shapes go in with them, in the same statement: the audit retention, which deletes a shape no
// stored row uses, cannot do so between the two.
const columns = [...STORED_COLUMNS, ...SEARCH_COLUMNS].join(", ");
export const INSERT_EVENTS_SQL = `with shapes as (${insertShapes("$2", "$3")})
  insert into audit_events (${columns}) select ${columns}
  from json_populate_recordset(null::audit_events, $1::json) on conflict (instance, seq) do nothing`;

/** INSERT_EVENTS_SQL's parameters for rows: the rows as JSON with their search columns, their shapes' keys and texts. */
export function insertParams(rows: StoredRow[]): [string, string[], string[]] {
  const shapes: BatchShapes = new Map();
  const withSearch = rows.map((r) => {
    if (r.statement == null) return r;
    const { hash, shape, numbers } = shapeOf(r.statement);
    shapes.set(hash, shape);
    return { ...r, shape_hash: hash, numbers };
  });
  return [JSON.stringify(withSearch), [...shapes.keys()], [...shapes.values()]];
}

/** The embedded database (PGlite behind scripts/embedded-db/) loses the protocol's thread on COPY FROM STDIN and drops the connection. */
const COPY_PROBE_SQL = "select version() not like '%PGlite%' as copy";

/**
 * Stores journaled rows in audit_events, each exactly once. Rows that may already be stored (an
 * earlier run's journal, or a batch whose shipment failed: it may have committed before the
 * connection broke) go through the insert that skips stored (instance, seq). Every other batch
 * holds only numbers this process has never sent, so it is streamed with COPY, which costs the
 * database about a third less per row and cannot store one twice either: a repeated number would
 * fail the batch on the unique index, and the retry takes the skipping insert.
 */
export class EventStore {
  private copy: boolean | undefined;
  /** Rows numbered up to here were in a shipment whose outcome is unknown. */
  private uncertainThrough = 0;

  constructor(private readonly pool: pg.Pool) {}

  /** Stores rows that may be stored already; returns how many were new. */
  async storeDeduplicated(rows: JournalRow[]): Promise<number> {
    const r = await this.pool.query(INSERT_EVENTS_SQL, insertParams(rows));
    return r.rowCount ?? 0;
  }

  /** Stores the next batch of this run's rows, oldest first. */
  async store(batch: JournalRow[]): Promise<void> {
    if (batch[0].seq <= this.uncertainThrough || !(await this.copySupported())) {
      await this.storeDeduplicated(batch);
      return;
    }
    try {
      await this.copyRows(batch);
    } catch (err) {
      this.uncertainThrough = batch[batch.length - 1].seq;
      throw err;
    }
  }

  /** Asked once: COPY FROM STDIN works on PostgreSQL, not on the embedded database (and not on a stand-in that does not say). */
  private async copySupported(): Promise<boolean> {
    this.copy ??= (await this.pool.query<{ copy: boolean }>(COPY_PROBE_SQL)).rows[0]?.copy === true;
    return this.copy;
  }

  private async copyRows(batch: JournalRow[]): Promise<void> {
    const shapes: BatchShapes = new Map();
    const text = copyLines(batch, shapes);
    const client = await this.pool.connect();
    let failed: Error | undefined;
    try {
      // The shapes and the rows that use them in one transaction (the retention's sweep of unused shapes waits for it).
      await client.query("begin");
      await client.query(INSERT_SHAPES_SQL, [[...shapes.keys()], [...shapes.values()]]);
      const stream = client.query(copyFrom(COPY_EVENTS_SQL));
      stream.end(text);
      await finished(stream);
      await client.query("commit");
    } catch (err) {
      failed = err as Error;
      throw err;
    } finally {
      // A connection whose COPY failed is not handed out again.
      client.release(failed);
    }
  }
}
