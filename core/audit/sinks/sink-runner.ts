import type pg from "pg";
import type { Sink } from "./transports";
import { toSiemEvent, type AuditRow } from "./siem-event";

export type SinkRunnerOptions = {
  pollMs?: number;
  batch?: number;
  /** Events a sink may fall behind before the oldest undelivered are skipped (with a warning); half of it raises a warning. */
  maxBacklog?: number;
  /** How long a hole in the ids (a transaction not yet committed, or rolled back) holds delivery back before it is passed over. */
  gapGraceMs?: number;
};

type Log = (message: string, level?: "info" | "warn" | "error") => void;

type State = { backoffMs: number; nextAt: number; lastWarnAt: number; gapSince: Map<number, number> };

const MAX_BACKOFF_MS = 60_000;

/**
 * Delivers the audit log to each sink, at least once, in id order: each sink's cursor row holds the
 * last id it confirmed. A round locks the row (another instance then skips that sink until it is
 * done), reads the next batch, sends it and moves the cursor only when the sink confirmed it; a
 * failure keeps the cursor, backs off (1 s doubling to 60 s) and is recorded in the row and the log.
 * A new sink starts at the end of the log as it is when it is first seen.
 */
export function startAuditSinks(pool: pg.Pool, sinks: Sink[], log: Log, opts: SinkRunnerOptions = {}): { close: () => Promise<void> } {
  const pollMs = opts.pollMs ?? 500;
  const batch = opts.batch ?? 500;
  const maxBacklog = opts.maxBacklog ?? 1_000_000;
  const gapGraceMs = opts.gapGraceMs ?? 3000;
  let closed = false;
  const loops = sinks.map(async (sink) => {
    log(`audit sink ${sink.name}: ${sink.describe}`);
    const st: State = { backoffMs: 0, nextAt: 0, lastWarnAt: 0, gapSince: new Map() };
    while (!closed) {
      if (Date.now() >= st.nextAt) {
        try {
          const sent = await round(pool, sink, st, { batch, maxBacklog, gapGraceMs }, log);
          st.backoffMs = 0;
          if (sent === batch) continue; // more is waiting
        } catch (err) {
          st.backoffMs = Math.min(MAX_BACKOFF_MS, st.backoffMs ? st.backoffMs * 2 : 1000);
          st.nextAt = Date.now() + st.backoffMs;
          const message = (err as Error).message.slice(0, 300);
          log(`audit sink ${sink.name}: delivery failed, retrying in ${st.backoffMs / 1000} s: ${message}`, "warn");
          await pool.query("update audit_sink_cursors set last_error = $2, updated_at = now() where name = $1", [sink.name, message]).catch(() => {});
        }
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  });
  return {
    async close() {
      closed = true;
      await Promise.all(loops);
    },
  };
}

/** One delivery round; returns how many events were confirmed. */
async function round(pool: pg.Pool, sink: Sink, st: State, o: { batch: number; maxBacklog: number; gapGraceMs: number }, log: Log): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query("insert into audit_sink_cursors (name, last_id) select $1, coalesce(max(id), 0) from audit_events on conflict (name) do nothing", [sink.name]);
    await client.query("begin");
    const cur = await client.query<{ last_id: string }>("select last_id from audit_sink_cursors where name = $1 for update skip locked", [sink.name]);
    if (!cur.rows[0]) return (void (await client.query("rollback")), 0); // another instance is delivering to this sink
    let lastId = Number(cur.rows[0].last_id);
    const max = Number((await client.query<{ max: string | null }>("select max(id) as max from audit_events")).rows[0].max ?? 0);
    const backlog = Math.max(0, max - lastId);
    if (backlog > o.maxBacklog) {
      const skipTo = max - o.maxBacklog;
      log(
        `audit sink ${sink.name}: WARNING ${backlog} events behind, over GATEHOUSE_AUDIT_SINK_MAX_BACKLOG (${o.maxBacklog}): skipping ids ${lastId + 1}..${skipTo}, which this sink will never receive`,
        "warn",
      );
      lastId = skipTo;
    } else if (backlog > o.maxBacklog / 2 && Date.now() - st.lastWarnAt > 60_000) {
      st.lastWarnAt = Date.now();
      log(`audit sink ${sink.name}: WARNING ${backlog} events behind (at ${o.maxBacklog} the oldest are skipped)`, "warn");
    }
    const { rows } = await client.query<AuditRow>("select * from audit_events where id > $1 order by id limit $2", [lastId, o.batch]);
    const ready = readyPrefix(rows, lastId, st, o.gapGraceMs);
    if (ready.length) {
      await sink.send(ready.map(toSiemEvent));
      lastId = Number(ready[ready.length - 1].id);
    }
    await client.query(
      "update audit_sink_cursors set last_id = $2, backlog = $3, delivered_at = case when $4 then now() else delivered_at end, last_error = null, updated_at = now() where name = $1",
      [sink.name, lastId, Math.max(0, max - lastId), ready.length > 0],
    );
    await client.query("commit");
    return ready.length;
  } catch (err) {
    await client.query("rollback").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/**
 * The rows that can go now: up to the first hole in the ids younger than the grace period. A hole
 * is an insert not yet committed (it would otherwise be passed over for good) or one that never
 * will be (a rollback, a journal row already stored): after the grace it is passed over.
 */
function readyPrefix(rows: AuditRow[], lastId: number, st: State, graceMs: number): AuditRow[] {
  let expected = lastId + 1;
  const now = Date.now();
  for (const id of st.gapSince.keys()) if (id <= lastId) st.gapSince.delete(id);
  for (let i = 0; i < rows.length; i++) {
    const id = Number(rows[i].id);
    if (id !== expected) {
      const since = st.gapSince.get(expected) ?? now;
      st.gapSince.set(expected, since);
      if (now - since < graceMs) return rows.slice(0, i);
      st.gapSince.delete(expected);
    }
    expected = id + 1;
  }
  return rows;
}
