/**
 * Reads the SFTP packets passing through (both directions, bytes unchanged) to name in the audit
 * the files an `sftp` or `scp` session reads, writes, removes or renames, with their sizes.
 * Hand-written: it only needs the few request types below and their lengths (SFTP v3, the version
 * OpenSSH speaks), and must never buffer file contents, so a general SFTP library does not fit.
 */
export type SftpFileEvent = { op: "read" | "write" | "remove" | "rename" | "mkdir" | "rmdir"; path: string; to?: string; bytes?: number };

const T = { OPEN: 3, CLOSE: 4, READ: 5, WRITE: 6, REMOVE: 13, MKDIR: 14, RMDIR: 15, RENAME: 18, EXTENDED: 200, HANDLE: 102, DATA: 103 } as const;
const PF_WRITE = 0x02;

type OpenFile = { path: string; write: boolean; read: number; written: number };

class PacketReader {
  private held: Buffer = Buffer.alloc(0);
  private skip = 0;
  constructor(
    private readonly header: (type: number) => number,
    private readonly onPacket: (type: number, p: Buffer, total: number) => void,
  ) {}

  feed(chunk: Buffer): void {
    let buf = this.held.length ? Buffer.concat([this.held, chunk]) : chunk;
    this.held = Buffer.alloc(0);
    if (this.skip) {
      const n = Math.min(this.skip, buf.length);
      this.skip -= n;
      buf = buf.subarray(n);
    }
    while (buf.length >= 5) {
      const len = buf.readUInt32BE(0);
      const type = buf[4];
      const need = Math.min(len + 4, this.header(type));
      if (buf.length < need) break;
      this.onPacket(type, buf.subarray(5, Math.min(buf.length, len + 4)), len - 1);
      if (buf.length < len + 4) {
        this.skip = len + 4 - buf.length;
        buf = buf.subarray(buf.length);
        break;
      }
      buf = buf.subarray(len + 4);
    }
    if (buf.length) this.held = Buffer.from(buf);
  }
}

export class SftpAudit {
  private readonly opening = new Map<number, { path: string; write: boolean }>();
  private readonly files = new Map<string, OpenFile>();
  private readonly reads = new Map<number, string>();
  readonly fromClient: PacketReader;
  readonly fromServer: PacketReader;

  constructor(private readonly emit: (e: SftpFileEvent) => void) {
    // WRITE and DATA carry file contents: only their headers are read.
    this.fromClient = new PacketReader(
      (t) => (t === T.WRITE ? 5 + 4 + 4 + 256 + 8 + 4 : 1 << 16),
      (t, p, total) => this.client(t, p, total),
    );
    this.fromServer = new PacketReader(
      (t) => (t === T.DATA ? 5 + 4 + 4 : 1 << 16),
      (t, p) => this.server(t, p),
    );
  }

  /** Files still open when the session ends are reported with what moved so far. */
  end(): void {
    for (const f of this.files.values()) this.report(f);
    this.files.clear();
  }

  private client(type: number, p: Buffer, total: number): void {
    const id = p.length >= 4 ? p.readUInt32BE(0) : -1;
    const s1 = str(p, 4);
    switch (type) {
      case T.OPEN:
        if (s1) this.opening.set(id, { path: s1.text, write: ((p.length >= s1.end + 4 ? p.readUInt32BE(s1.end) : 0) & PF_WRITE) !== 0 });
        break;
      case T.READ:
        if (s1) this.reads.set(id, s1.raw);
        break;
      case T.WRITE: {
        const f = s1 && this.files.get(s1.raw);
        if (f) f.written += Math.max(0, total - s1.end - 12); // id, handle, offset (8), data length (4)
        break;
      }
      case T.CLOSE: {
        const f = s1 && this.files.get(s1.raw);
        if (f) {
          this.files.delete(s1.raw);
          this.report(f);
        }
        break;
      }
      case T.REMOVE:
      case T.MKDIR:
      case T.RMDIR:
        if (s1) this.emit({ op: type === T.REMOVE ? "remove" : type === T.MKDIR ? "mkdir" : "rmdir", path: s1.text });
        break;
      case T.RENAME: {
        const s2 = s1 && str(p, s1.end);
        if (s1 && s2) this.emit({ op: "rename", path: s1.text, to: s2.text });
        break;
      }
      case T.EXTENDED: {
        // OpenSSH's sftp renames with posix-rename@openssh.com (the old name, then the new).
        const from = s1 && /rename@openssh\.com$/.test(s1.text) ? str(p, s1.end) : null;
        const to = from && str(p, from.end);
        if (from && to) this.emit({ op: "rename", path: from.text, to: to.text });
        break;
      }
    }
  }

  private server(type: number, p: Buffer): void {
    const id = p.length >= 4 ? p.readUInt32BE(0) : -1;
    if (type === T.HANDLE) {
      const o = this.opening.get(id);
      const h = str(p, 4);
      this.opening.delete(id);
      if (o && h) this.files.set(h.raw, { path: o.path, write: o.write, read: 0, written: 0 });
    } else if (type === T.DATA) {
      const handle = this.reads.get(id);
      this.reads.delete(id);
      const f = handle !== undefined ? this.files.get(handle) : undefined;
      if (f && p.length >= 8) f.read += p.readUInt32BE(4);
    } else if (type === 101) {
      this.opening.delete(id);
      this.reads.delete(id);
    }
  }

  private report(f: OpenFile): void {
    if (f.write || f.written > 0) this.emit({ op: "write", path: f.path, bytes: f.written });
    else this.emit({ op: "read", path: f.path, bytes: f.read });
  }
}

function str(p: Buffer, at: number): { text: string; raw: string; end: number } | null {
  if (p.length < at + 4) return null;
  const len = p.readUInt32BE(at);
  if (p.length < at + 4 + len) return null;
  const b = p.subarray(at + 4, at + 4 + len);
  return { text: b.toString("utf8"), raw: b.toString("latin1"), end: at + 4 + len };
}
