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

/**
 * JSON with object keys sorted at every level (jsonb does not keep the order they were written in):
 * the text JSON.stringify(sorted(JSON.parse(JSON.stringify(v)))) gives, written in one walk (that
 * round trip was a third of the chain's cost, and the chain runs for every statement). As there,
 * keys that are array indices ("0", "12") come first in numeric order, then the others sorted.
 */
export function canonicalJson(v: unknown): string | undefined {
  if (v === null) return "null";
  switch (typeof v) {
    case "string":
    case "number":
    case "boolean":
      return JSON.stringify(v);
    case "object":
      break;
    default:
      return JSON.stringify(v); // undefined, functions, symbols: undefined; a bigint throws, as JSON.stringify does
  }
  const o = v as Record<string, unknown> & { toJSON?: unknown };
  if (typeof o.toJSON === "function") return canonicalJson(JSON.parse(JSON.stringify(o)) as unknown);
  if (Array.isArray(o)) {
    let out = "[";
    for (let i = 0; i < o.length; i++) out += (i ? "," : "") + (canonicalJson(o[i]) ?? "null");
    return out + "]";
  }
  const keys = Object.keys(o).sort();
  let indices = 0;
  for (const k of keys) if (isArrayIndex(k)) indices++;
  if (indices > 0 && indices < keys.length) keys.sort((a, b) => (isArrayIndex(a) ? (isArrayIndex(b) ? Number(a) - Number(b) : -1) : isArrayIndex(b) ? 1 : a < b ? -1 : a > b ? 1 : 0));
  else if (indices > 0) keys.sort((a, b) => Number(a) - Number(b));
  let out = "{";
  let first = true;
  for (const k of keys) {
    const x = canonicalJson(o[k]);
    if (x === undefined) continue;
    out += (first ? "" : ",") + JSON.stringify(k) + ":" + x;
    first = false;
  }
  return out + "}";
}

/** An array index as a property key: "0" or no leading zero, below 2^32 - 1 (JavaScript orders these first). */
function isArrayIndex(k: string): boolean {
  const c = k.charCodeAt(0);
  if (!(c >= 48 && c <= 57) || (c === 48 && k.length > 1) || k.length > 10) return false;
  for (let i = 1; i < k.length; i++) {
    const d = k.charCodeAt(i);
    if (d < 48 || d > 57) return false;
  }
  return Number(k) < 4294967295;
}

/**
 * The canonical text of an event: the same from the row the writer builds and from the row read
 * back (duration_ms is a real, so it is compared as the float32 it is stored as; bigints as numbers).
 * Its elements are in STORED_COLUMNS' order: the journal stores this text and reads rows back by it (audit-journal.ts).
 */
export function canonicalEvent(r: ChainRow): string {
  // The text JSON.stringify gives the array of these values, written by hand: about a microsecond
  // less per event (this runs for every statement, before its client sees the result).
  const head =
    "[" +
    jsonValue(typeof r.at === "string" ? r.at : r.at.toISOString()) +
    "," +
    jsonValue(r.action) +
    "," +
    jsonValue(r.outcome) +
    "," +
    jsonValue(r.identity_id) +
    "," +
    jsonValue(r.identity_name) +
    "," +
    jsonArray(r.groups) +
    "," +
    jsonValue(r.connection_name) +
    "," +
    jsonValue(r.session_id) +
    "," +
    jsonValue(r.protocol) +
    "," +
    jsonValue(r.client_addr) +
    "," +
    jsonValue(r.statement) +
    "," +
    jsonValue(r.statement_kind) +
    "," +
    jsonValue(r.duration_ms == null ? null : Math.fround(r.duration_ms)) +
    "," +
    jsonValue(r.rows == null ? null : Number(r.rows)) +
    "," +
    jsonValue(r.sqlstate) +
    "," +
    jsonValue(r.message);
  const details = r.details == null ? "null" : (canonicalJson(r.details) ?? "null");
  return `${head},${details},${JSON.stringify(r.instance)},${JSON.stringify(Number(r.seq))}]`;
}

// A string JSON.stringify writes as it is, between quotes: no quote, backslash, control character or surrogate.
// eslint-disable-next-line no-control-regex -- the control characters are what it looks for
const NEEDS_ESCAPING = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A value as JSON.stringify writes it as an array element (undefined as null). */
function jsonValue(v: unknown): string {
  if (v == null) return "null";
  if (typeof v === "string") return NEEDS_ESCAPING.test(v) ? JSON.stringify(v) : '"' + v + '"';
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "null";
  return JSON.stringify(v) ?? "null";
}

function jsonArray(v: unknown): string {
  if (v == null) return "null";
  if (!Array.isArray(v)) return jsonValue(v);
  let out = "[";
  for (let i = 0; i < v.length; i++) out += (i ? "," : "") + jsonValue(v[i]);
  return out + "]";
}

/** The hash of an event chained over the previous event's hash ("" before the first). */
export function chainHash(prev: string, r: ChainRow): string {
  return hashOfCanonical(prev, canonicalEvent(r));
}

/** chainHash for an event whose canonical text is already written (the writer journals that text too). */
export function hashOfCanonical(prev: string, canonical: string): string {
  // One-shot (no Hash object per event: this runs for every statement, before its client sees the result).
  return hash("sha256", `${prev}\n${canonical}`, "hex");
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
