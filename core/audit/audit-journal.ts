import { closeSync, fdatasyncSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeSync } from "node:fs";
import path from "node:path";

export type JournalOptions = {
  /** The folder of all instances' journals (`<data dir>/audit-journal`). */
  dir: string;
  instance: string;
  /** fdatasync after each append: a machine crash (not only a process kill) then loses nothing acknowledged. */
  fsync: boolean;
};

/** One journaled event: its sequence number in the instance's stream and its row as JSON (the keys of audit_events' columns). */
export type JournalRow = { seq: number; json: string; hash: string };

// A segment is closed once it holds this much, so that what has been shipped can be deleted while the load goes on.
const SEGMENT_BYTES = 4 * 1024 * 1024;

/**
 * The write-ahead audit journal of one gateway instance on local disk: segment files
 * `<dir>/<instance>/<first seq>.jsonl`, one JSON row a line, appended with one synchronous write
 * per batch. A segment is deleted once every row in it is stored in the database.
 */
export class AuditJournal {
  private readonly folder: string;
  private fd: number | null = null;
  private currentPath = "";
  private currentBytes = 0;
  private currentLastSeq = 0;
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
        try {
          const row = JSON.parse(line) as { seq?: unknown; hash?: unknown };
          if (typeof row.seq !== "number") throw new Error("no seq");
          rows.push({ seq: row.seq, json: line, hash: typeof row.hash === "string" ? row.hash : "" });
        } catch {
          torn++;
        }
      }
    }
    return { rows, torn, files };
  }

  /** Deletes the segments of an earlier run (once their rows are stored). */
  removeFiles(files: string[]): void {
    for (const f of files) rmSync(f, { force: true });
  }

  /** Appends rows with one write (and one fdatasync when configured); throws when the disk refuses. */
  append(rows: JournalRow[]): void {
    if (rows.length === 0) return;
    if (this.fd === null) this.open(rows[0].seq);
    let text = "";
    for (const r of rows) text += r.json + "\n";
    const buf = Buffer.from(text, "utf8");
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd!, buf, off, buf.length - off);
    if (this.opts.fsync) fdatasyncSync(this.fd!);
    this.currentBytes += buf.length;
    this.currentLastSeq = rows[rows.length - 1].seq;
    if (this.currentBytes >= SEGMENT_BYTES) this.closeCurrent();
  }

  /** Closes the current segment (when it holds anything) so that it can be deleted once shipped. */
  rotate(): void {
    if (this.fd !== null && this.currentBytes > 0) this.closeCurrent();
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
