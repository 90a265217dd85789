import type pg from "pg";
import type { AuditEvent } from "./audit-event";
import { AuditJournal, chainedRow, type ChainedRow, type JournalOptions, type JournalRow } from "./audit-journal";
import { checkpointParams, INSERT_CHECKPOINT_SQL } from "./audit-chain";
import { EventStore } from "./event-store";
import { isoTime } from "./iso-time";

/** The newest stored event of a stream, or where retention cut it: where the chain goes on. */
export const STREAM_HEAD_SQL = `select seq, hash from (select seq, hash from audit_events where instance = $1 order by seq desc limit 1) e
  union all select seq, hash from (select seq, hash from audit_checkpoints where instance = $1 and kind = 'retention' order by seq desc limit 1) c
  order by seq desc limit 1`;

const MAX_BATCH = 2000;
const MAX_QUEUED = 500_000;
// A signed checkpoint after this many stored events or this long, whichever comes first (and at close):
// what is stored after the last one can be cut off without a trace until the stream goes on.
const CHECKPOINT_EVENTS = 10_000;
const CHECKPOINT_MS = 10_000;
/** A journal segment is closed at a shipment once it is this old (or full), and deleted once stored: a restart re-ships at most about this much, deduplicated. */
const SEGMENT_MS = 5_000;

/** An event, or a function that produces events when the batch is journaled (keeps parsing off the path that reads the client's bytes). */
export type PendingAudit = AuditEvent | (() => AuditEvent[]);

export type AuditWriterOptions = {
  /** This gateway instance: the stream whose sequence numbers its events carry. */
  instance: string;
  intervalMs?: number;
  log?: (m: string) => void;
  /** The write-ahead journal (omitted: events live in memory until stored, as before). */
  journal?: Omit<JournalOptions, "instance">;
  /** Journaled events held in memory for the database at most (500,000); past it the oldest wait in the journal for the next start. */
  maxQueued?: number;
  /** Signs the chain's checkpoints (checkpointKey(secret key)); omitted: no checkpoints. */
  checkpointKey?: Buffer;
  /** Hears every event as it is numbered (the gateway's metrics count them here, once for every protocol). */
  observe?: (e: AuditEvent) => void;
  /** Hears every batch as it is stored, with its number of events (the gateway's metrics count shipments and their events). */
  shipped?: (events: number) => void;
};

/**
 * Writes audit events off the data path, without losing one to a process kill: callers enqueue
 * and return at once; the events queued in one turn of the event loop are numbered and appended
 * to the local journal with one synchronous write, either when the turn ends or earlier, when an
 * adapter calls syncPending() right before the client can see a result. A timer ships the journal
 * to the database every `intervalMs` and deletes what is stored. If the database is unavailable
 * the rows stay queued (and on disk) and are retried; a restart ships what the journal still holds.
 */
export class AuditWriter {
  private pending: PendingAudit[] = [];
  private syncScheduled = false;
  private queue: JournalRow[] = [];
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout;
  private dropped = 0;
  private seq = 0;
  private prevHash = "";
  private recovered = false;
  private readonly checkpointKey: Buffer | undefined;
  private readonly maxQueued: number;
  private lastStored: JournalRow | null = null;
  private storedSinceCheckpoint = 0;
  private lastCheckpointAt = Date.now();
  private shipFailing = false;
  private readonly journal: AuditJournal | null;
  private readonly store: EventStore;
  private readonly instance: string;
  private readonly log: (m: string) => void;
  private readonly observe: ((e: AuditEvent) => void) | undefined;
  private readonly shipped: ((events: number) => void) | undefined;
  private readonly syncSoon = () => {
    this.syncScheduled = false;
    this.syncPending();
  };

  constructor(
    private readonly pool: pg.Pool,
    opts: AuditWriterOptions,
  ) {
    this.instance = opts.instance;
    this.store = new EventStore(pool);
    this.checkpointKey = opts.checkpointKey;
    this.maxQueued = opts.maxQueued ?? MAX_QUEUED;
    this.observe = opts.observe;
    this.shipped = opts.shipped;
    this.log = opts.log ?? console.error;
    this.journal = opts.journal ? new AuditJournal({ ...opts.journal, instance: opts.instance }) : null;
    this.timer = setInterval(() => void this.flush(), opts.intervalMs ?? 100);
    this.timer.unref();
  }

  /**
   * Ships what an earlier run of this instance left in the journal (rows already stored are
   * skipped by their (instance, seq)) and continues its sequence. Call once, before the first write.
   */
  async recover(): Promise<{ shipped: number; torn: number }> {
    let shipped = 0;
    let torn = 0;
    let last: JournalRow | null = null;
    if (this.journal) {
      const left = this.journal.readLeftovers();
      torn = left.torn;
      for (let i = 0; i < left.rows.length; i += MAX_BATCH) {
        const batch = left.rows.slice(i, i + MAX_BATCH);
        shipped += await this.store.storeDeduplicated(batch);
      }
      for (const r of left.rows) if (!last || r.seq > last.seq) last = r;
      this.journal.removeFiles(left.files);
    }
    // The chain goes on from the newest stored event, or from where retention cut it.
    const { rows } = await this.pool.query<{ seq: string; hash: string }>(STREAM_HEAD_SQL, [this.instance]);
    const stored = rows[0] ? { seq: Number(rows[0].seq), hash: rows[0].hash ?? "" } : { seq: 0, hash: "" };
    [this.seq, this.prevHash] = last && last.seq > stored.seq ? [last.seq, last.hash] : [stored.seq, stored.hash];
    this.recovered = true;
    this.syncPending();
    return { shipped, torn };
  }

  write(item: PendingAudit): void {
    this.pending.push(item);
    if (!this.syncScheduled) {
      this.syncScheduled = true;
      // When this turn's I/O callbacks are done: the events of every request answered in the turn (HTTP
      // relays audit after the answer) go in one write. Adapters whose clients must not see a result
      // before its event is journaled (Postgres, MySQL, SSH) call syncPending() themselves first.
      setImmediate(this.syncSoon);
    }
  }

  /**
   * Numbers and journals everything queued so far, with one synchronous write. Adapters call it
   * right before they send a client the result of something audited; cheap when nothing is queued.
   */
  syncPending(): void {
    // Before recover() the sequence is unknown: events wait for it.
    if (this.pending.length === 0 || !this.recovered) return;
    const items = this.pending;
    this.pending = [];
    const rows: ChainedRow[] = [];
    for (const item of items) {
      if (typeof item !== "function") rows.push(this.row(item));
      else {
        let events: AuditEvent[];
        try {
          events = item();
        } catch (err) {
          this.log(`audit: could not build an event: ${(err as Error).message}`);
          continue;
        }
        for (const e of events) rows.push(this.row(e));
      }
    }
    try {
      this.journal?.append(rows);
    } catch (err) {
      // The disk refused: the rows still go to the database from memory, as before the journal.
      this.log(`audit: journal write failed (${(err as Error).message}); ${rows.length} events kept in memory only`);
    }
    // Journaled: only the row is shipped (a queue of 500,000 rows while the database is down holds no lines).
    for (const r of rows) this.queue.push(r.row);
    if (this.queue.length > this.maxQueued) {
      this.dropped += this.queue.length - this.maxQueued;
      this.queue.splice(0, this.queue.length - this.maxQueued);
      this.log(`audit: database unavailable, ${this.dropped} oldest events dropped from memory so far (they stay in the journal and ship at the next start)`);
    }
    // Once per full batch: a flush already under way takes the rest.
    if (this.queue.length >= MAX_BATCH && !this.flushing) void this.flush();
  }

  /** Writes everything queued so far; resolves when it is stored (or the store failed and it stays queued). */
  async flush(): Promise<void> {
    this.syncPending();
    while (this.flushing) await this.flushing;
    if (this.queue.length === 0) return;
    this.flushing = this.shipBatches().finally(() => (this.flushing = null));
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    if (this.storedSinceCheckpoint > 0) await this.checkpoint();
    // Everything stored: the journal's last segment goes too (else the next start finds it and skips its rows).
    if (this.queue.length === 0 && this.dropped === 0 && this.lastStored) {
      this.journal?.rotate();
      this.journal?.release(this.lastStored.seq);
    }
    this.journal?.close();
  }

  /** Events waiting: queued and not yet journaled (an item may stand for several events), journaled and not yet stored, dropped from memory. */
  backlog(): { journal: number; store: number; droppedFromMemory: number } {
    return { journal: this.pending.length, store: this.queue.length, droppedFromMemory: this.dropped };
  }

  private row(e: AuditEvent): ChainedRow {
    this.observe?.(e);
    const r = chainedRow(this.prevHash, toRow(e, this.instance, ++this.seq));
    this.prevHash = r.row.hash;
    return r;
  }

  /** Signs the newest stored event's place in the chain. */
  private async checkpoint(): Promise<void> {
    const last = this.lastStored;
    if (!this.checkpointKey || !last) return;
    this.storedSinceCheckpoint = 0;
    this.lastCheckpointAt = Date.now();
    const c = { instance: this.instance, seq: last.seq, hash: last.hash, kind: "chain" as const, at: new Date() };
    await this.pool.query(INSERT_CHECKPOINT_SQL, checkpointParams(this.checkpointKey, c)).catch((err: Error) => this.log(`audit: checkpoint failed: ${err.message.slice(0, 200)}`));
  }

  private async shipBatches(): Promise<void> {
    // Rows journaled from now on go to a new segment (every SEGMENT_MS), so the closed ones can go once stored
    // (not while the database is down: segments would pile up; the size limit still applies).
    if (!this.shipFailing) this.journal?.rotate(SEGMENT_MS);
    // What was queued when the shipment began goes now, and full batches while they keep coming.
    // The rest waits for the next tick: shipping until the queue is empty would, under steady
    // traffic, send each batch the few events that arrived during the last one's round trip (a COPY
    // and a commit per statement at one client), which cost the database and this process several
    // times what the events themselves do.
    let due = this.queue.length;
    while (due > 0 || this.queue.length >= MAX_BATCH) {
      const batch = this.queue.slice(0, MAX_BATCH);
      due -= batch.length;
      try {
        await this.store.store(batch);
      } catch (err) {
        // The driver's message can quote the whole batch (statements, possibly sensitive): keep it short.
        this.log(`audit: write of ${batch.length} events failed, will retry: ${(err as Error).message.slice(0, 200)}`);
        this.shipFailing = true;
        return;
      }
      this.shipFailing = false;
      this.shipped?.(batch.length);
      // Up to the batch's last row: the queue's oldest rows may have been dropped meanwhile (held
      // in memory no more), the batch's among them, so the front is no longer the batch.
      const through = this.queue.indexOf(batch[batch.length - 1]);
      if (through >= 0) this.queue.splice(0, through + 1);
      // Rows dropped from memory are only in the journal: keep every segment until a restart ships them.
      this.lastStored = batch[batch.length - 1];
      if (this.dropped === 0) this.journal?.release(this.lastStored.seq);
      this.storedSinceCheckpoint += batch.length;
      if (this.storedSinceCheckpoint >= CHECKPOINT_EVENTS || Date.now() - this.lastCheckpointAt >= CHECKPOINT_MS) await this.checkpoint();
    }
  }
}

/** One row as json_populate_recordset reads it: keys named as the columns (duration as the float32 a real column stores). */
export function toRow(e: AuditEvent, instance: string, seq: number) {
  return {
    at: isoTime(e.at),
    action: e.action,
    outcome: e.outcome,
    identity_id: e.identityId,
    identity_name: storable(e.identityName),
    groups: e.groups?.map(storable),
    connection_name: storable(e.connectionName),
    session_id: e.sessionId,
    protocol: e.protocol,
    client_addr: e.clientAddr,
    statement: storable(e.statement),
    statement_kind: storable(e.statementKind),
    duration_ms: e.durationMs == null ? e.durationMs : Math.fround(e.durationMs),
    rows: e.rows,
    sqlstate: storable(e.sqlstate),
    message: storable(e.message),
    details: e.details && needsStoring(e.details) ? (storableDeep(e.details) as typeof e.details) : e.details,
    instance,
    seq,
  };
}

// PostgreSQL's text and json cannot hold U+0000 or a lone UTF-16 surrogate, and a client may send
// either (a MySQL COM_QUERY or an SSH command line carries any bytes): such an event would fail its
// whole batch, and every batch after it. Stored as ␀ and U+FFFD instead (before the chain hash, so
// verification sees what was stored).
const UNSTORABLE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, "g");
function storable<T extends string | null | undefined>(s: T): T {
  if (!s || !UNSTORABLE.test(s)) return s;
  return s.replace(UNSTORABLE_ALL, (c) => (c === "\0" ? "\u2400" : "\uFFFD")) as T;
}

function needsStoring(v: unknown): boolean {
  if (typeof v === "string") return storable(v) !== v;
  if (Array.isArray(v)) return v.some(needsStoring);
  if (v && typeof v === "object") return Object.entries(v).some(([k, x]) => needsStoring(k) || needsStoring(x));
  return false;
}

function storableDeep(v: unknown): unknown {
  if (typeof v === "string") return storable(v);
  if (Array.isArray(v)) return v.map(storableDeep);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [storable(k), storableDeep(x)]));
  return v;
}
