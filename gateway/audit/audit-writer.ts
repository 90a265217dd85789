import type pg from "pg";
import type { AuditEvent } from "./audit-event";

const COLUMNS = [
  ["at", "timestamptz"], ["action", "text"], ["outcome", "text"], ["identity_id", "uuid"], ["identity_name", "text"],
  ["groups", "text"], ["connection_name", "text"], ["session_id", "uuid"], ["protocol", "text"], ["client_addr", "text"],
  ["statement", "text"], ["statement_kind", "text"], ["duration_ms", "real"], ["rows", "bigint"], ["sqlstate", "text"], ["message", "text"],
] as const;

// groups is text[] per row; unnest cannot take an array of arrays of varying length, so it travels as a JSON text and is rebuilt.
const INSERT_SQL = `insert into audit_events (${COLUMNS.map(([c]) => c).join(", ")})
  select at, action, outcome, identity_id, identity_name,
         case when groups is null then null else array(select json_array_elements_text(groups::json)) end,
         connection_name, session_id, protocol, client_addr, statement, statement_kind, duration_ms, rows, sqlstate, message
  from unnest(${COLUMNS.map(([, t], i) => `$${i + 1}::${t}[]`).join(", ")})
    as u(${COLUMNS.map(([c]) => c).join(", ")})`;

const MAX_BATCH = 2000;
const MAX_QUEUED = 500_000;

/**
 * Writes audit events in batches off the data path: callers enqueue and return at once; a timer
 * flushes every `intervalMs` (and at once when a batch fills). If the database is unavailable the
 * events stay queued and are retried, so nothing recorded is lost while the process lives.
 */
/** An event, or a function that produces events when the batch is written (keeps parsing off the data path). */
export type PendingAudit = AuditEvent | (() => AuditEvent[]);

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
    if (this.queue.length >= MAX_BATCH) void this.flush();
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
        await this.pool.query(INSERT_SQL, toColumns(batch));
      } catch (err) {
        this.queue.unshift(...batch); // expanded now, so a retry does not parse again
        this.log(`audit: write failed, will retry: ${(err as Error).message}`);
        return;
      }
    }
  }
}

function toColumns(batch: AuditEvent[]): unknown[][] {
  const cols: unknown[][] = COLUMNS.map(() => new Array(batch.length));
  for (let i = 0; i < batch.length; i++) {
    const e = batch[i];
    const values = [e.at, e.action, e.outcome, e.identityId ?? null, e.identityName ?? null, e.groups ? JSON.stringify(e.groups) : null,
      e.connectionName ?? null, e.sessionId ?? null, e.protocol ?? null, e.clientAddr ?? null, e.statement ?? null, e.statementKind ?? null,
      e.durationMs ?? null, e.rows ?? null, e.sqlstate ?? null, e.message ?? null];
    for (let c = 0; c < values.length; c++) cols[c][i] = values[c];
  }
  return cols;
}
