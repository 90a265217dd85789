import { closeSync, fdatasyncSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeSync } from "node:fs";
import path from "node:path";
import { canonicalEvent, hashOfCanonical, type ChainRow } from "./audit-chain";
import { STORED_COLUMNS, type StoredRow } from "./copy-rows";

export type JournalOptions = {
  /** The folder of all instances' journals (`<data dir>/audit-journal`). */
  dir: string;
  instance: string;
  /** fdatasync after each append: a machine crash (not only a process kill) then loses nothing acknowledged. */
  fsync: boolean;
};

/** One journaled event as the database stores it (its number in the instance's stream, its hash): shipped as it is, not parsed back from its line. */
export type JournalRow = StoredRow & { seq: number };

/** A chained row and its journal line, until the line is appended. */
export type ChainedRow = { row: JournalRow; line: string };

/**
 * Chains a numbered row over the previous event's hash and writes its journal line. The line is the
 * chain's canonical text (every stored column, in STORED_COLUMNS order: see canonicalEvent) with the
 * hash as its last element, so each event is serialised once, for the hash and the journal both.
 * (Lines of earlier versions are objects keyed by column; readLeftovers reads both.)
 */
export function chainedRow(prev: string, row: ChainRow & { seq: number }): ChainedRow {
  const canonical = canonicalEvent(row);
  const hash = hashOfCanonical(prev, canonical);
  // The hash joins the row as its last key (no copy of the row, no object to copy it from: this runs for every statement).
  const chained = row as JournalRow;
  chained.hash = hash;
  return { row: chained, line: `${canonical.slice(0, -1)},"${hash}"]` };
}

/** A journal line back as its row, or null when it is not one (a torn line, a foreign file). */
function rowOfLine(line: string): JournalRow | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return null;
  }
  let row: Record<string, unknown>;
  if (Array.isArray(parsed)) {
    if (parsed.length !== STORED_COLUMNS.length) return null;
    row = {};
    for (let i = 0; i < STORED_COLUMNS.length; i++) row[STORED_COLUMNS[i]] = parsed[i];
  } else if (parsed && typeof parsed === "object") row = parsed as Record<string, unknown>;
  else return null;
  if (typeof row.seq !== "number") return null;
  if (typeof row.hash !== "string") row.hash = "";
  return row as JournalRow;
}

// A segment is closed once it holds this much, so that what has been shipped can be deleted while the load goes on.
const SEGMENT_BYTES = 4 * 1024 * 1024;

/**
 * The write-ahead audit journal of one gateway instance on local disk: segment files
 * `<dir>/<instance>/<first seq>.jsonl`, one row a line (see chainedRow), appended with one synchronous write
 * per batch. A segment is deleted once every row in it is stored in the database.
 */
export class AuditJournal {
  private readonly folder: string;
  private fd: number | null = null;
  private currentPath = "";
  private currentBytes = 0;
  private currentLastSeq = 0;
  /** When the current segment was opened (rotate's minimum age). */
  private openedAt = 0;
  private readonly closed: Array<{ path: string; lastSeq: number }> = [];

  constructor(private readonly opts: JournalOptions) {
    this.folder = path.join(opts.dir, encodeURIComponent(opts.instance));
    mkdirSync(this.folder, { recursive: true, mode: 0o700 });
  }

  /** Rows an earlier run of this instance left (in order), and how many torn lines (a crash mid-write) were skipped. */
  readLeftovers(): { rows: JournalRow[]; torn: number; files: string[] } {
    const files = this.segmentFiles();
    const rows: JournalRow[] = [];
    let torn = 0;
    for (const file of files) {
      for (const line of readFileSync(file, "utf8").split("\n")) {
        if (!line) continue;
        const row = rowOfLine(line);
        if (row) rows.push(row);
        else torn++;
      }
    }
    return { rows, torn, files };
  }

  /** Deletes the segments of an earlier run (once their rows are stored). */
  removeFiles(files: string[]): void {
    for (const f of files) rmSync(f, { force: true });
  }

  /** Appends rows' lines with one write (and one fdatasync when configured); throws when the disk refuses. */
  append(rows: ChainedRow[]): void {
    if (rows.length === 0) return;
    if (this.fd === null) this.open(rows[0].row.seq);
    let text = "";
    for (const r of rows) text += r.line + "\n";
    // The text written as it is (encoded by the write, no Buffer made for it); the rest, should a write fall short.
    let written = writeSync(this.fd!, text);
    const bytes = Buffer.byteLength(text);
    if (written < bytes) {
      const buf = Buffer.from(text, "utf8");
      while (written < buf.length) written += writeSync(this.fd!, buf, written, buf.length - written);
    }
    if (this.opts.fsync) fdatasyncSync(this.fd!);
    this.currentBytes += bytes;
    this.currentLastSeq = rows[rows.length - 1].row.seq;
    if (this.currentBytes >= SEGMENT_BYTES) this.closeCurrent();
  }

  /**
   * Closes the current segment (when it holds anything, and it was opened at least `minAgeMs` ago) so
   * that it can be deleted once shipped. Opening a file costs this disk about 2 ms of the gateway's
   * thread: a segment per shipment (ten a second) was 1% of its time under load.
   */
  rotate(minAgeMs = 0): void {
    if (this.fd !== null && this.currentBytes > 0 && Date.now() - this.openedAt >= minAgeMs) this.closeCurrent();
  }

  /** Deletes the closed segments whose rows are all stored (every seq up to `storedSeq`). */
  release(storedSeq: number): void {
    while (this.closed.length && this.closed[0].lastSeq <= storedSeq) {
      const seg = this.closed.shift()!;
      try {
        unlinkSync(seg.path);
      } catch {
        // already gone: nothing to keep
      }
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  /** Bytes on disk not yet released (for the log and tests). */
  pendingBytes(): number {
    return this.segmentFiles().reduce((n, f) => n + statSync(f).size, 0);
  }

  private open(firstSeq: number): void {
    this.openedAt = Date.now();
    this.currentPath = path.join(this.folder, `${String(firstSeq).padStart(16, "0")}.jsonl`);
    this.fd = openSync(this.currentPath, "a", 0o600);
    this.currentBytes = 0;
  }

  private closeCurrent(): void {
    closeSync(this.fd!);
    this.fd = null;
    this.closed.push({ path: this.currentPath, lastSeq: this.currentLastSeq });
  }

  private segmentFiles(): string[] {
    return readdirSync(this.folder)
      .filter((f) => /^\d{16}\.jsonl$/.test(f))
      .sort()
      .map((f) => path.join(this.folder, f));
  }
}
