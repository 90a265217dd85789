import type pg from "pg";
import type { AuditEvent } from "./audit-event";

// The batch travels as one JSON parameter: JSON.stringify is native and fast, where the driver's
// conversion of sixteen column arrays to Postgres array literals was a large share of the data path's CPU.
const INSERT_SQL = `insert into audit_events (at, action, outcome, identity_id, identity_name, groups, connection_name, session_id,
    protocol, client_addr, statement, statement_kind, duration_ms, rows, sqlstate, message, details)
  select at, action, outcome, identity_id, identity_name, groups, connection_name, session_id,
    protocol, client_addr, statement, statement_kind, duration_ms, rows, sqlstate, message, details
  from json_populate_recordset(null::audit_events, $1::json)`;

const MAX_BATCH = 2000;
const MAX_QUEUED = 500_000;

/** An event, or a function that produces events when the batch is written (keeps parsing off the data path). */
export type PendingAudit = AuditEvent | (() => AuditEvent[]);

/**
 * Writes audit events in batches off the data path: callers enqueue and return at once; a timer
 * flushes every `intervalMs` (and at once when a batch fills). If the database is unavailable the
 * events stay queued and are retried, so nothing recorded is lost while the process lives.
 */
export class AuditWriter {
  private queue: PendingAudit[] = [];
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout;
  private dropped = 0;

  constructor(private readonly pool: pg.Pool, private readonly intervalMs = 100, private readonly log: (m: string) => void = console.error) {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  write(item: PendingAudit): void {
    this.queue.push(item);
    if (this.queue.length > MAX_QUEUED) {
      this.dropped += this.queue.length - MAX_QUEUED;
      this.queue.splice(0, this.queue.length - MAX_QUEUED);
      this.log(`audit: database unavailable, ${this.dropped} oldest events dropped so far`);
    }
    // Once per full batch, not on every write after it: a flush already under way takes the rest.
    if (this.queue.length === MAX_BATCH && !this.flushing) void this.flush();
  }

  /** Writes everything queued so far; resolves when it is stored (or the store failed and it is requeued). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.queue.length === 0) return;
    this.flushing = this.writeBatches().finally(() => (this.flushing = null));
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async writeBatches(): Promise<void> {
    while (this.queue.length > 0) {
      const pending = this.queue.splice(0, MAX_BATCH);
      const batch: AuditEvent[] = [];
      for (const item of pending) {
        if (typeof item !== "function") batch.push(item);
        else for (const e of item()) batch.push(e);
      }
      try {
        await this.pool.query(INSERT_SQL, [toJson(batch)]);
      } catch (err) {
        this.queue.unshift(...batch); // expanded now, so a retry does not parse again
        // The driver's message can quote the whole batch (statements, possibly sensitive): keep it short.
        this.log(`audit: write of ${batch.length} events failed, will retry: ${(err as Error).message.slice(0, 200)}`);
        return;
      }
    }
  }
}

/** The batch as the JSON json_populate_recordset reads: one object a row, keys named as the columns. */
function toJson(batch: AuditEvent[]): string {
  return JSON.stringify(
    batch.map((e) => ({
      at: e.at, action: e.action, outcome: e.outcome, identity_id: e.identityId, identity_name: e.identityName, groups: e.groups,
      connection_name: e.connectionName, session_id: e.sessionId, protocol: e.protocol, client_addr: e.clientAddr, statement: e.statement,
      statement_kind: e.statementKind, duration_ms: e.durationMs, rows: e.rows, sqlstate: e.sqlstate, message: e.message, details: e.details,
    })),
  );
}
