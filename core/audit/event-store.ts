import type pg from "pg";
import { finished } from "node:stream/promises";
import { from as copyFrom } from "pg-copy-streams";
import type { JournalRow } from "./audit-journal";
import { COPY_EVENTS_SQL, copyLines, STORED_COLUMNS } from "./copy-rows";

// The batch travels as one JSON parameter: JSON.stringify is native and fast, where the driver's
// conversion of sixteen column arrays to Postgres array literals was a large share of the data path's CPU.
// (instance, seq) is unique: a row shipped before a crash and again from the journal after it is stored once.
const columns = STORED_COLUMNS.join(", ");
export const INSERT_EVENTS_SQL = `insert into audit_events (${columns}) select ${columns}
  from json_populate_recordset(null::audit_events, $1::json) on conflict (instance, seq) do nothing`;

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
    const r = await this.pool.query(INSERT_EVENTS_SQL, [jsonArray(rows)]);
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
    const text = copyLines(batch);
    const client = await this.pool.connect();
    let failed: Error | undefined;
    try {
      const stream = client.query(copyFrom(COPY_EVENTS_SQL));
      stream.end(text);
      await finished(stream);
    } catch (err) {
      failed = err as Error;
      throw err;
    } finally {
      // A connection whose COPY failed is not handed out again.
      client.release(failed);
    }
  }
}

const jsonArray = (rows: JournalRow[]) => JSON.stringify(rows);
