import { createHmac, hash, hkdfSync } from "node:crypto";

// Why one chain per gateway instance, not one for the whole table: each instance already numbers
// its events in one thread (the journal's seq), so it can chain them in memory as it journals them,
// before they reach the database, with no round trip. One global chain would need every instance
// (and the console) to read and lock the chain's head row for each batch: a lock held across the
// data path of every instance, and a chain that a crashed instance's journal, shipped at its
// restart, could no longer join in order. Per instance, a gap, an edit or a reordering still shows
// in that instance's stream; the streams are independent, so verification walks each. (The console
// and the CLI, which keep no journal, share one stream each under a lock: core/audit/chained-append.ts.)

/** The columns an event's hash covers, as json_populate_recordset and the database give them (snake_case). */
export type ChainRow = {
  /** A Date, or its toISOString() (the writer passes the string: it serialises the row once more). */
  at: Date | string;
  action: string;
  outcome: string;
  identity_id?: string | null;
  identity_name?: string | null;
  groups?: string[] | null;
  connection_name?: string | null;
  session_id?: string | null;
  protocol?: string | null;
  client_addr?: string | null;
  statement?: string | null;
  statement_kind?: string | null;
  duration_ms?: number | null;
  rows?: number | string | null;
  sqlstate?: string | null;
  message?: string | null;
  details?: unknown;
  instance: string;
  seq: number | string;
};

const n = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

/** JSON with object keys sorted at every level: jsonb does not keep the order they were written in. */
function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sorted((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/**
 * The canonical text of an event: the same from the row the writer builds and from the row read
 * back (duration_ms is a real, so it is compared as the float32 it is stored as; bigints as numbers).
 */
export function canonicalEvent(r: ChainRow): string {
  return JSON.stringify([
    typeof r.at === "string" ? r.at : r.at.toISOString(),
    r.action,
    r.outcome,
    n(r.identity_id),
    n(r.identity_name),
    n(r.groups),
    n(r.connection_name),
    n(r.session_id),
    n(r.protocol),
    n(r.client_addr),
    n(r.statement),
    n(r.statement_kind),
    r.duration_ms == null ? null : Math.fround(r.duration_ms),
    r.rows == null ? null : Number(r.rows),
    n(r.sqlstate),
    n(r.message),
    r.details == null ? null : sorted(JSON.parse(JSON.stringify(r.details))),
    r.instance,
    Number(r.seq),
  ]);
}

/** The hash of an event chained over the previous event's hash ("" before the first). */
export function chainHash(prev: string, r: ChainRow): string {
  // One-shot (no Hash object per event: this runs for every statement, before its client sees the result).
  return hash("sha256", `${prev}\n${canonicalEvent(r)}`, "hex");
}

export type Checkpoint = { instance: string; seq: number; hash: string; kind: "chain" | "retention"; at: Date };

/** The key that signs checkpoints, derived from the secret key (a database writer without it cannot forge one). */
export function checkpointKey(secretKey: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", secretKey, Buffer.from("gatehouse"), Buffer.from("audit checkpoints v1"), 32));
}

export function checkpointMac(key: Buffer, c: Checkpoint): string {
  return createHmac("sha256", key).update(`gatehouse audit checkpoint v1\n${c.instance}\n${c.seq}\n${c.hash}\n${c.kind}\n${c.at.toISOString()}`).digest("hex");
}

export const INSERT_CHECKPOINT_SQL = "insert into audit_checkpoints (instance, seq, hash, kind, at, mac) values ($1, $2, $3, $4, $5, $6)";

export function checkpointParams(key: Buffer, c: Checkpoint): unknown[] {
  return [c.instance, c.seq, c.hash, c.kind, c.at, checkpointMac(key, c)];
}
