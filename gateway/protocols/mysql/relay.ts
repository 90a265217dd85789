import type { Duplex } from "node:stream";
import type { SessionEnd } from "../../pipeline/session-scope";
import type { HeldCommand } from "../../pipeline/hold";
import type { RelayHooks } from "./relay-hooks";
import { MessageDeadline } from "../../pipeline/message-limits";
import { PacketError, PacketFramer, framePacket, type Packet } from "./packet-codec";
import { ClientNumbering } from "./compressed-stream";
import { errPacket, MysqlError, okPacket } from "./handshake-messages";
import { Cap, Com, Err } from "./protocol-constants";
import type { Expect } from "./response-reader";
import { RowMasker } from "./row-masker";
import { PreparedStatements } from "./prepared-statements";
import type { ExecuteRefusal } from "./prepared-writes";
import type { CommandRecord } from "./statement-audit";
import { readsOtherwise, textVerdict } from "./text-verdict";
import { PacketMailbox, runChangeUser } from "./change-user";
import { ClientCharset } from "../../../core/sql/mysql-charsets";
import { TargetStream } from "./target-stream";

/**
 * The command phase of one MySQL session: client commands one at a time (a pipelining client is
 * queued), each judged before anything reaches the target (COM_QUERY and COM_STMT_PREPARE texts;
 * a COM_STMT_EXECUTE runs what its prepare was judged as), then the target's answer followed packet
 * by packet for the audit and masked as it streams (TargetStream). Sequence ids are kept, shifted
 * only when masking changes how many packets a row takes.
 */
export class MysqlRelay {
  readonly done: Promise<SessionEnd>;
  private resolveDone!: (e: SessionEnd) => void;
  private readonly clientFramer: PacketFramer;
  private readonly queue: Packet[] = [];
  // A command's own further packets (COM_CHANGE_USER's authentication) go here instead of the queue.
  private exchange: PacketMailbox | null = null;
  private readonly statements = new PreparedStatements();
  private readonly stream: TargetStream;
  private readonly charset: ClientCharset;
  private held: HeldCommand | null = null;
  private rowMasker: RowMasker | null = null;
  private busy = false;
  private closed = false;
  private bytesIn = 0;
  private bytesOut = 0;
  private readonly numbering: ClientNumbering | null;
  private readonly deadline: MessageDeadline;

  constructor(
    private readonly client: Duplex,
    private readonly target: Duplex,
    private readonly capabilities: number,
    private readonly hooks: RelayHooks,
    leftovers: { client: Buffer; target: Buffer },
  ) {
    this.done = new Promise((r) => (this.resolveDone = r));
    this.clientFramer = new PacketFramer(hooks.maxPacketBytes, hooks.compressed === null);
    this.numbering = hooks.compressed && new ClientNumbering();
    this.charset = new ClientCharset(hooks.clientCollation);
    // A packet started must be finished in time while the gateway reads (not while it holds a statement or waits on the client's socket).
    this.deadline = new MessageDeadline(
      hooks.messageTimeoutMs,
      () => this.protocolError(new MysqlError(Err.ReadTimeout, "Got timeout reading communication packets: a packet was started and not finished in time"), "a packet was not finished in time"),
      () => !this.client.isPaused() && this.held === null,
    );
    this.stream = new TargetStream(
      {
        hooks,
        client,
        target,
        statements: this.statements,
        rowMasker: () => this.rowMasker,
        closed: () => this.closed,
        toClient: (bytes) => this.toClient(bytes),
        sendError: (error, seq) => this.sendError(error, seq),
        finish: (failed, reason) => this.finish(failed, reason),
        setHeld: (held) => (this.held = held),
      },
      (capabilities & Cap.DeprecateEof) !== 0,
    );
    client.on("data", (d: Buffer) => this.fromClient(d));
    target.on("data", (d: Buffer) => this.stream.push(d));
    client.on("close", () => this.finish(false, "the client disconnected"));
    target.on("close", () => this.targetGone());
    client.on("error", () => {});
    target.on("error", (err: Error) => (this.targetError = err));
    if (leftovers.target.length) this.stream.push(leftovers.target);
    if (leftovers.client.length) this.fromClient(leftovers.client);
  }

  /** Withdraws the command held for review, if one is (a KILL QUERY from the client's second connection): true when there was one. */
  withdrawHeld(): boolean {
    if (!this.held) return false;
    this.held.withdraw();
    return true;
  }

  /** Ends the session from outside (kill, revocation, expiry, shutdown): the client is told why. */
  kill(reason: string): void {
    if (this.closed) return;
    this.held?.cancel(reason);
    this.sendError(new MysqlError(Err.ConnectionKilled, `Gatehouse ended this session: ${reason}`), this.stream.current ? null : 0);
    this.finish(false, reason);
  }

  /** A compressed client's packet numbered as the target and the relay expect it (compressed-stream.ts). */
  private renumbered(q: Packet, numbering: ClientNumbering): Packet {
    const p = numbering.next(q, this.stream.infile ? this.stream.infileSeq : null, this.exchange !== null);
    if (this.stream.infile) this.stream.infileSeq = (p.lastSeq + 1) & 0xff;
    return p;
  }

  /** The client's compressed frames could not be read (compressed-stream.ts): ER_NET_UNCOMPRESS_ERROR, and the session ends. */
  unreadableInput(why: string): void {
    if (this.closed) return;
    // Idle, the unreadable frame held the client's next command (its packet 0): the answer is packet 1.
    this.sendError(new MysqlError(Err.Uncompress, "Couldn't uncompress communication packet"), this.stream.current ? null : 1);
    this.finish(true, `protocol error: ${why}`);
  }

  private fromClient(d: Buffer): void {
    if (this.closed) return; // ended (a refusal may still be on its way out): what it sends now is not read
    this.bytesIn += d.length;
    let packets: Packet[];
    try {
      packets = this.clientFramer.push(d);
    } catch (err) {
      const e = err as PacketError;
      const spec = e.kind === "too-large" ? Err.PacketTooLarge : Err.PacketsOutOfOrder;
      this.protocolError(new MysqlError(spec, e.kind === "too-large" ? `Got a packet bigger than the gateway allows (${this.hooks.maxPacketBytes} bytes)` : "Got packets out of order"), e.message);
      return;
    }
    if (!this.hooks.buffers.hold(this.clientFramer.pending)) {
      this.protocolError(new MysqlError(Err.PacketTooLarge, "the gateway's buffer for incoming messages is full; try again shortly"), "the gateway's buffer budget is exhausted");
      return;
    }
    this.deadline.update(this.clientFramer.pending > 0);
    for (const q of packets) {
      // Numbered one by one: the file's last packet ends its numbering for the packets after it.
      const p = this.numbering ? this.renumbered(q, this.numbering) : q;
      if (this.stream.infile) {
        // LOAD DATA LOCAL INFILE content (the connection allows it): relayed until the empty packet that ends it.
        this.target.write(p.raw ?? framePacket(p.payload, p.seq).bytes);
        if (p.payload.length === 0) this.stream.infile = false;
        continue;
      }
      if (this.exchange) this.exchange.push(p);
      else this.queue.push(p);
    }
    if (this.queue.length > 16) this.client.pause();
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (!this.closed && this.queue.length) await this.command(this.queue.shift()!);
    } catch (err) {
      this.hooks.log(`mysql: relay error: ${(err as Error).stack ?? err}`);
      this.finish(true, "the gateway failed to relay a command");
    } finally {
      this.busy = false;
    }
    if (!this.closed) this.client.resume();
  }

  private async command(p: Packet): Promise<void> {
    if (p.end !== undefined) this.hooks.compressed?.answering(p.end);
    if (p.seq !== 0) {
      this.sendError(new MysqlError(Err.PacketsOutOfOrder, "Got packets out of order"), (p.lastSeq + 1) & 0xff);
      this.finish(true, `protocol error: a command came with sequence id ${p.seq}`);
      return;
    }
    const text = () => p.payload.toString("utf8", 1);
    const statementCommands: number[] = [Com.StmtExecute, Com.StmtClose, Com.StmtReset, Com.StmtFetch, Com.StmtSendLongData];
    if (p.payload.length === 0 || (statementCommands.includes(p.payload[0]) && p.payload.length < 5)) {
      return this.refuse(p, new MysqlError(Err.Handshake, "Malformed packet"));
    }
    switch (p.payload[0]) {
      case Com.Quit:
        this.target.write(p.raw ?? framePacket(p.payload, 0).bytes);
        this.finish(false, "the client quit");
        return;
      case Com.Query:
        return this.judged(p, text(), { kind: "results", binary: false });
      case Com.StmtPrepare:
        return this.judged(p, text(), { kind: "prepare" });
      case Com.InitDb:
        return this.judged(p, `USE \`${text().replaceAll("`", "``")}\``, { kind: "single" });
      case Com.StmtExecute: {
        const id = p.payload.length >= 5 ? p.payload.readUInt32LE(1) : -1;
        const statement = this.statements.textOf(id);
        const refused = this.hooks.masking()?.columns.length
          ? this.statements.writes.execute(p.payload, this.statements.idOf(id), this.statements.paramsOf(id), this.hooks.maskedWriteTable(statement))
          : null;
        if (refused) return this.refuseExecute(p, statement, this.statements.idOf(id), refused);
        // CURSOR_TYPE_READ_ONLY: the rows come later, by COM_STMT_FETCH, without their column definitions.
        const cursor = p.payload.length >= 6 && (p.payload[5] & 0x01) !== 0 ? id : undefined;
        this.statements.executing(id);
        return this.forward(p, { kind: "results", binary: true }, { text: statement, startedAt: Date.now(), results: [] }, true, undefined, { cursor });
      }
      case Com.StmtFetch: {
        const masking = this.hooks.masking();
        const refusal = masking && this.statements.restoreCursor(p.payload.readUInt32LE(1), this.rowMasker, masking);
        if (refusal) return this.refuse(p, refusal);
        return this.forward(p, { kind: "rows-until-eof", binary: true }, null, masking !== null, undefined, { keepColumns: true });
      }
      case Com.StmtClose:
        this.statements.closed(p.payload.readUInt32LE(1));
        this.target.write(p.raw ?? framePacket(p.payload, 0).bytes);
        return;
      case Com.StmtSendLongData:
        if (this.hooks.masking()?.columns.length) {
          const id = p.payload.readUInt32LE(1);
          this.statements.writes.sentLongData(p.payload, this.statements.idOf(id), this.hooks.maskedWriteTable(this.statements.textOf(id)));
        }
        this.target.write(p.raw ?? framePacket(p.payload, 0).bytes);
        return;
      case Com.FieldList:
        return this.forward(p, { kind: "rows-until-eof", binary: false, definitions: true }, null, false);
      case Com.Refresh:
        // `mysqladmin refresh` and flush-*: judged and audited as the statements the server runs for its flags.
        return this.judged(p, refreshStatements(p.payload[1] ?? 0), { kind: "single" });
      case Com.ResetConnection:
        this.statements.clear();
        this.charset.reset();
        return this.forward(p, { kind: "single" }, null);
      case Com.StmtReset:
        this.statements.writes.reset(this.statements.idOf(p.payload.readUInt32LE(1)));
        return this.forward(p, { kind: "single" }, null);
      case Com.Ping:
      case Com.SetOption:
      case Com.Statistics:
        return this.forward(p, { kind: "single" }, null);
      case Com.ChangeUser:
        return this.changeUser(p);
      default:
        return this.refuse(p, new MysqlError(Err.SpecificAccessDenied, `Gatehouse does not relay the MySQL command 0x${p.payload[0]?.toString(16) ?? "??"}`));
    }
  }

  /** COM_CHANGE_USER (see runChangeUser): the client's next packets go to its exchange while it runs. */
  private async changeUser(p: Packet): Promise<void> {
    const mailbox = (this.exchange = new PacketMailbox());
    await runChangeUser(p, mailbox, {
      capabilities: this.capabilities,
      checks: this.hooks.changeUser,
      toClient: (bytes) => this.toClient(bytes),
      resetStatements: () => {
        this.statements.clear();
        this.charset.reset();
      },
      send: (payload, opts) => this.forward({ seq: 0, lastSeq: 0, raw: null, payload }, { kind: "single" }, null, false, undefined, opts),
      sendError: (err, seq) => this.sendError(err, seq),
      malformed: () => this.closed || this.protocolError(new MysqlError(Err.Handshake, "Bad handshake"), "a malformed COM_CHANGE_USER"),
    }).finally(() => (this.exchange = null));
  }

  /** A SQL-carrying command: judged, possibly held for review, then relayed (or refused with an ERR). */
  private async judged(p: Packet, sent: string, expect: Expect): Promise<void> {
    const record: CommandRecord = { text: sent, startedAt: Date.now(), results: [] };
    // Read in the session's character set or sql_mode, it could hide a statement (a KILL too, which is judged without a policy).
    const unreadable = readsOtherwise(this.hooks, this.charset, this.stream.reader.noBackslashEscapes, p.payload, sent);
    if (unreadable) return this.refuse(p, unreadable, { record, kind: "UNPARSEABLE" });
    const mapped = expect.kind === "results" || expect.kind === "prepare" ? this.hooks.mapKill(sent, expect.kind === "prepare") : null;
    const kill = mapped instanceof Promise ? await mapped : mapped;
    if (this.closed) return;
    if (kill && "error" in kill) return this.refuse(p, kill.error, { record, kind: "KILL" });
    if (kill && "done" in kill) {
      this.hooks.audit({ ...record, results: [{ rows: 0, at: Date.now() }] });
      this.hooks.syncAudit();
      this.toClient(framePacket(okPacket({ status: 0x0002 /* autocommit */ }), 1).bytes);
      return;
    }
    const text = kill ? kill.text : sent;
    // A KILL mapped to the target's thread id is the gateway's own text: it is judged as such.
    const verdict = await textVerdict(
      this.hooks,
      text,
      (h) => (this.held = h),
      () => this.closed,
    );
    if (!verdict) return;
    if (!verdict.run) return this.refuse(p, verdict.error, { record, kind: verdict.kind });
    record.approval = verdict.approval;
    if (kill) p = { seq: 0, lastSeq: 0, raw: null, payload: Buffer.concat([Buffer.from([Com.Query]), Buffer.from(text, "utf8")]) };
    if (expect.kind === "prepare") record.results = [];
    this.charset.after(text);
    return this.forward(p, expect, expect.kind === "prepare" ? null : record, true, text);
  }

  /**
   * A COM_STMT_EXECUTE refused before the target sees it (a masked value bound to it). What was sent
   * as long data stays with the target's statement until an execute runs: it is dropped there
   * (COM_STMT_RESET, its answer swallowed), so no later execute writes it.
   */
  private refuseExecute(p: Packet, text: string, id: number, refused: ExecuteRefusal): Promise<void> | void {
    this.refuse(p, refused.error, { record: { text, startedAt: Date.now(), results: [] }, kind: refused.kind });
    if (!refused.heldLongData) return;
    const reset = Buffer.alloc(5);
    reset[0] = Com.StmtReset;
    reset.writeUInt32LE(id, 1);
    return this.forward({ seq: 0, lastSeq: 0, raw: null, payload: reset }, { kind: "single" }, null, false, undefined, { silent: true });
  }

  private refuse(p: Packet, error: MysqlError, audited?: { record: CommandRecord; kind: string }): void {
    if (audited) {
      this.hooks.audit({ ...audited.record, refused: { kind: audited.kind, code: String(error.spec.code), message: error.message } });
      this.hooks.syncAudit();
    }
    this.sendError(error, (p.lastSeq + 1) & 0xff);
  }

  private async forward(
    p: Packet,
    expect: Expect,
    record: CommandRecord | null,
    masked = true,
    statementText?: string,
    opts: { silent?: boolean; shift?: number; cursor?: number; keepColumns?: boolean } = {},
  ): Promise<void> {
    const masking = masked ? this.hooks.masking() : null;
    if (masking && this.rowMasker?.masker.masking !== masking && !opts.keepColumns) this.rowMasker = new RowMasker(masking, this.hooks.maskingKey, this.hooks.views);
    // The views the statement may read are looked up before the target runs it: its rows are then masked without waiting.
    const views = masking && !opts.keepColumns ? this.rowMasker?.viewsReady(record?.text ?? statementText ?? null) : undefined;
    if (views) await views;
    if (this.closed) return;
    return new Promise<void>((resolve) => {
      const cur = { record, expect, shift: opts.shift ?? 0, resolve, statementText, silent: opts.silent, cursor: opts.cursor };
      this.stream.expect(cur, masking ? this.rowMasker : null, record?.text ?? statementText ?? null);
      this.target.write(p.raw ?? framePacket(p.payload, p.seq).bytes);
    });
  }

  private toClient(bytes: Buffer): void {
    if (!this.client.writable) return;
    this.bytesOut += bytes.length;
    if (!this.client.write(bytes)) {
      this.target.pause();
      this.client.once("drain", () => (this.stream.holding ? undefined : this.target.resume()));
    }
  }

  /** An ERR to the client at `seq` (null: where the answer in flight has got to, or 0 when idle). */
  private sendError(error: MysqlError, seq: number | null): void {
    const at = seq ?? (this.stream.current ? 1 + this.stream.current.shift : 0);
    this.toClient(framePacket(errPacket(error.spec, error.message), at).bytes);
  }

  private protocolError(error: MysqlError, why: string): void {
    this.sendError(error, null);
    this.finish(true, `protocol error: ${why}`);
  }

  private targetError: Error | null = null;
  private targetGone(): void {
    if (this.closed) return;
    const why = this.targetError ? `: ${this.targetError.message}` : "";
    this.sendError(new MysqlError(Err.TargetLost, `Lost connection to the target MySQL server${why}`), null);
    this.finish(true, `the target closed the connection${why}`);
  }

  private finish(failed: boolean, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.deadline.stop();
    this.hooks.buffers.close();
    this.exchange?.close();
    this.held?.cancel(reason);
    this.stream.current?.resolve();
    this.client.end();
    this.target.end();
    setTimeout(() => {
      this.client.destroy();
      this.target.destroy();
    }, 1000).unref();
    this.resolveDone({ failed, reason, bytesIn: this.bytesIn, bytesOut: this.bytesOut });
  }
}

/**
 * The statements COM_REFRESH runs, by its flags (MySQL's REFRESH_* bits): FLUSH of what it names,
 * and RESET SLAVE / RESET MASTER for the two replication bits (RESET MASTER deletes the binary logs).
 */
export function refreshStatements(flags: number): string {
  const flushed = (
    [
      [0x01, "PRIVILEGES"],
      [0x02, "LOGS"],
      [0x04, "TABLES"],
      [0x08, "HOSTS"],
      [0x10, "STATUS"],
      [0x20, "THREADS"],
    ] as const
  )
    .filter(([bit]) => flags & bit)
    .map(([, what]) => what);
  const statements = flushed.length ? [`FLUSH ${flushed.join(", ")}`] : [];
  if (flags & 0x40) statements.push("RESET SLAVE");
  if (flags & 0x80) statements.push("RESET MASTER");
  return statements.join("; ") || "FLUSH";
}
