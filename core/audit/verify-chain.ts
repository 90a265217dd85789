import type pg from "pg";
import { chainHash, checkpointMac, type ChainRow } from "./audit-chain";

export type ChainProblem = {
  kind: "edited" | "deleted" | "reordered" | "truncated" | "rewritten" | "forged-checkpoint";
  instance: string;
  /** What was found, with the event ids and sequence numbers to look at. */
  message: string;
  ids: number[];
};

export type StreamReport = { instance: string; events: number; firstSeq: number | null; lastSeq: number | null; checkpoints: number; prunedUpTo: number };

export type VerifyReport = { ok: boolean; streams: StreamReport[]; problem?: ChainProblem; unchained: number; ms: number };

type StoredRow = ChainRow & { id: string; hash: string | null };
type CheckpointRow = { id: string; instance: string; seq: string; hash: string; kind: "chain" | "retention"; at: Date; mac: string };

const PAGE = 5000;
const COLUMNS = `id, at, action, outcome, identity_id, identity_name, groups, connection_name, session_id, protocol, client_addr, statement,
  statement_kind, duration_ms, rows, sqlstate, message, details, instance, seq, hash`;

/**
 * Walks every gateway instance's chain (or the part of it between `from` and `to`) and stops at
 * the first problem: a checkpoint whose signature is wrong, a missing sequence number (a deletion),
 * an event whose hash does not match its columns and its predecessor (an edit), events listed out
 * of their chain's order (a reordering), a chain that no longer matches a signed checkpoint (a
 * rewrite), or a stream that ends before its last signed checkpoint (a truncated tail).
 */
export async function verifyAuditChain(pool: pg.Pool | pg.Client, key: Buffer, range: { from?: Date; to?: Date } = {}): Promise<VerifyReport> {
  const started = performance.now();
  const streams: StreamReport[] = [];
  const instances = await pool.query<{ instance: string }>(
    "select instance from audit_events where instance is not null group by instance union select instance from audit_checkpoints group by instance order by 1",
  );
  const unchained = Number((await pool.query<{ n: string }>("select count(*) as n from audit_events where instance is null")).rows[0].n);
  for (const { instance } of instances.rows) {
    const { report, problem } = await verifyStream(pool, key, instance, range);
    streams.push(report);
    if (problem) return { ok: false, streams, problem, unchained, ms: performance.now() - started };
  }
  return { ok: true, streams, unchained, ms: performance.now() - started };
}

async function verifyStream(pool: pg.Pool | pg.Client, key: Buffer, instance: string, range: { from?: Date; to?: Date }): Promise<{ report: StreamReport; problem?: ChainProblem }> {
  const report: StreamReport = { instance, events: 0, firstSeq: null, lastSeq: null, checkpoints: 0, prunedUpTo: 0 };
  const fail = (kind: ChainProblem["kind"], message: string, ids: number[]) => ({ report, problem: { kind, instance, message: `${instance}: ${message}`, ids } });

  const checkpoints = (await pool.query<CheckpointRow>("select * from audit_checkpoints where instance = $1 order by seq, id", [instance])).rows;
  report.checkpoints = checkpoints.length;
  for (const c of checkpoints) {
    const mac = checkpointMac(key, { instance, seq: Number(c.seq), hash: c.hash, kind: c.kind, at: c.at });
    if (mac !== c.mac) return fail("forged-checkpoint", `checkpoint ${c.id} (seq ${c.seq}) does not carry a valid signature: it was forged or edited`, [Number(c.id)]);
  }
  // Retention deleted everything up to its newest checkpoint on purpose: the chain starts after it.
  const retention = checkpoints.filter((c) => c.kind === "retention").at(-1);
  const base = retention ? { seq: Number(retention.seq), hash: retention.hash } : { seq: 0, hash: "" };
  report.prunedUpTo = base.seq;
  const signed = new Map(checkpoints.filter((c) => c.kind === "chain" && Number(c.seq) > base.seq).map((c) => [Number(c.seq), c]));

  let lo = base.seq + 1;
  let hi = Number.MAX_SAFE_INTEGER;
  let expected = lo;
  let prev: string | null = base.hash;
  if (range.from) {
    const r = await pool.query<{ seq: string | null }>("select min(seq) as seq from audit_events where instance = $1 and seq >= $2 and at >= $3", [instance, lo, range.from]);
    if (r.rows[0].seq === null) return { report };
    lo = Number(r.rows[0].seq);
    expected = lo;
    // The event before the range anchors it when it is there; otherwise the first event's own hash is taken as given.
    const before = await pool.query<{ hash: string }>("select hash from audit_events where instance = $1 and seq = $2", [instance, lo - 1]);
    prev = lo - 1 === base.seq ? base.hash : (before.rows[0]?.hash ?? null);
  }
  if (range.to) {
    const r = await pool.query<{ seq: string | null }>("select max(seq) as seq from audit_events where instance = $1 and at <= $2", [instance, range.to]);
    if (r.rows[0].seq === null) return { report };
    hi = Number(r.rows[0].seq);
  }

  let prevId: number | null = null;
  for (let after = lo - 1; ;) {
    const page = (await pool.query<StoredRow>(`select ${COLUMNS} from audit_events where instance = $1 and seq > $2 and seq <= $3 order by seq limit ${PAGE}`, [instance, after, hi])).rows;
    for (const row of page) {
      const id = Number(row.id);
      const seq = Number(row.seq);
      if (seq !== expected) {
        const where = prevId === null ? `before event ${id}` : `between events ${prevId} and ${id}`;
        return fail("deleted", `events seq ${expected}..${seq - 1} are missing ${where} (deleted)`, prevId === null ? [id] : [prevId, id]);
      }
      if (prevId !== null && id < prevId)
        return fail("reordered", `event ${id} (seq ${seq}) is listed before event ${prevId} (seq ${seq - 1}), which precedes it in the chain (reordered)`, [prevId, id]);
      if (prev !== null && chainHash(prev, row) !== row.hash) return fail("edited", `event ${id} (seq ${seq}) does not match its hash: it was edited`, [id]);
      const c = signed.get(seq);
      if (c && c.hash !== row.hash) return fail("rewritten", `event ${id} (seq ${seq}) does not match the signed checkpoint ${c.id}: the chain before it was rewritten`, [id, Number(c.id)]);
      prev = row.hash;
      prevId = id;
      report.firstSeq ??= seq;
      report.lastSeq = seq;
      report.events++;
      expected++;
    }
    if (page.length < PAGE) break;
    after = Number(page[page.length - 1].seq);
  }
  // A tail cut off after a checkpoint: the checkpoint names an event that is no longer there.
  const lastSigned = [...signed.values()].filter((c) => Number(c.seq) <= hi).at(-1);
  if (lastSigned && Number(lastSigned.seq) >= expected) {
    const end = report.lastSeq === null ? "has no events" : `ends at seq ${report.lastSeq} (event ${prevId})`;
    return fail(
      "truncated",
      `the stream ${end}, but checkpoint ${lastSigned.id} signed seq ${lastSigned.seq}: its tail was deleted`,
      prevId === null ? [Number(lastSigned.id)] : [prevId, Number(lastSigned.id)],
    );
  }
  return { report };
}
