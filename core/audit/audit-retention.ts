import type pg from "pg";
import { checkpointParams, INSERT_CHECKPOINT_SQL } from "./audit-chain";

/**
 * Deletes audit events older than `days`, as whole prefixes of each instance's chain: up to the
 * event before the oldest one that is still young enough (an older event numbered after it stays,
 * `at` being a statement's start). A signed `retention` checkpoint with the hash of the last event
 * deleted goes in first, in the same transaction, so `audit verify` starts the chain there and does
 * not take the deletion for tampering. Events outside any chain (stored before console and CLI events were chained) older than that go too.
 */
export async function pruneAudit(pool: pg.Pool, key: Buffer, days: number): Promise<number> {
  if (days <= 0) return 0;
  const cutoff = new Date(Date.now() - days * 86_400_000);
  const { rows: instances } = await pool.query<{ instance: string }>("select distinct instance from audit_events where instance is not null and at < $1", [cutoff]);
  let deleted = 0;
  for (const { instance } of instances) deleted += await prunePrefix(pool, key, instance, cutoff);
  const r = await pool.query("delete from audit_events where instance is null and at < $1", [cutoff]);
  if (deleted + (r.rowCount ?? 0) > 0) await pruneShapes(pool);
  return deleted + (r.rowCount ?? 0);
}

/**
 * Deletes the statement shapes no stored event uses any more (a shape holds its statements' words and
 * strings: it goes with them). Under a lock that waits for the stores under way, which write a batch's
 * shapes and rows in one transaction, and holds the next until done: a shape a batch is about to use is
 * either kept (its rows are stored) or deleted before the batch writes it again.
 */
async function pruneShapes(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    await client.query("lock table audit_statement_shapes in share row exclusive mode");
    await client.query("delete from audit_statement_shapes s where not exists (select 1 from audit_events e where e.shape_hash = s.hash)");
    await client.query("commit");
  } catch (err) {
    await client.query("rollback").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

async function prunePrefix(pool: pg.Pool, key: Buffer, instance: string, cutoff: Date): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    // Two sweeps (two instances) at once: the second waits and then finds nothing more to do.
    await client.query("select pg_advisory_xact_lock(hashtext('gatehouse audit retention'), hashtext($1))", [instance]);
    const young = await client.query<{ seq: string | null }>("select min(seq) as seq from audit_events where instance = $1 and at >= $2", [instance, cutoff]);
    const bound = young.rows[0].seq === null ? "(select max(seq) from audit_events where instance = $1)" : `${Number(young.rows[0].seq) - 1}`;
    const last = await client.query<{ seq: string; hash: string }>(`select seq, hash from audit_events where instance = $1 and seq = ${bound}`, [instance]);
    if (!last.rows[0]) {
      await client.query("rollback");
      return 0;
    }
    const c = { instance, seq: Number(last.rows[0].seq), hash: last.rows[0].hash, kind: "retention" as const, at: new Date() };
    await client.query(INSERT_CHECKPOINT_SQL, checkpointParams(key, c));
    const r = await client.query("delete from audit_events where instance = $1 and seq <= $2", [instance, c.seq]);
    // Chain checkpoints inside the deleted prefix say nothing any more.
    await client.query("delete from audit_checkpoints where instance = $1 and kind = 'chain' and seq <= $2", [instance, c.seq]);
    await client.query("commit");
    return r.rowCount ?? 0;
  } catch (err) {
    await client.query("rollback").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** Runs the audit retention now and every hour (every instance may: each prefix is cut once, under a lock). */
export function startAuditRetention(pool: pg.Pool, key: Buffer, days: number, log: (m: string) => void): () => void {
  if (days <= 0) return () => {};
  const sweep = () =>
    pruneAudit(pool, key, days).then(
      (n) => n && log(`audit: deleted ${n} event(s) older than ${days} days (a signed retention checkpoint marks each cut)`),
      (err: Error) => log(`audit retention failed: ${err.message}`),
    );
  void sweep();
  const timer = setInterval(sweep, 3_600_000);
  timer.unref();
  return () => clearInterval(timer);
}
