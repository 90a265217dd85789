import type { Duplex } from "node:stream";
import type { HeldCommand } from "../../pipeline/hold";
import type { BudgetOverrun } from "../../pipeline/budgets";
import type { RelayHooks } from "./relay-hooks";
import { PacketFramer, framePacket, partsOf, type Packet } from "./packet-codec";
import { MysqlError } from "./handshake-messages";
import { Err } from "./protocol-constants";
import { ResponseReader, type Expect } from "./response-reader";
import { awaitBudgetDecision, budgetCut, dropPastBudget, overBudget, type BudgetCut } from "./budget-rows";
import type { RowMasker } from "./row-masker";
import type { PreparedStatements } from "./prepared-statements";
import type { CommandRecord } from "./statement-audit";
import { withheldInfileError } from "./local-infile";

/** The command whose answer the target is sending. */
export type InFlight = {
  record: CommandRecord | null;
  expect: Expect;
  shift: number;
  resolve: () => void;
  statementText?: string;
  silent?: boolean;
  cursor?: number;
  /** Past a data budget: the ERR the client gets where the target ends the rows; every packet until then, and after, is dropped. */
  cut?: BudgetCut;
};

/** What the target's side needs of the relay it belongs to. */
export type RelaySide = {
  hooks: RelayHooks;
  client: Duplex;
  target: Duplex;
  statements: PreparedStatements;
  rowMasker: () => RowMasker | null;
  closed: () => boolean;
  toClient: (bytes: Buffer) => void;
  sendError: (error: MysqlError, seq: number | null) => void;
  finish: (failed: boolean, reason: string) => void;
  /** The relay's one pending decision (a statement held for review, or here a data budget's). */
  setHeld: (held: HeldCommand | null) => void;
};

/**
 * The target's side of a MySQL session (see MysqlRelay): its packets framed and followed for the
 * command in flight (ResponseReader), masked as they stream, cut or held at a data budget, passed to
 * the client with sequence ids shifted only where masking changed how many packets a row takes; the
 * command's audit event written (and journaled) before the client sees its end.
 */
export class TargetStream {
  current: InFlight | null = null;
  /** A LOAD DATA LOCAL INFILE asked for the client's file: its packets go to the target until the empty one. */
  infile = false;
  /** The sequence id the target expects the file's next packet at (a compressed client's own ids are not read). */
  infileSeq = 0;
  readonly reader: ResponseReader;
  private readonly framer = new PacketFramer(0x40000000);
  /** The target's packets from the one that passed a budget on, kept while an approver decides (the target is paused). */
  private held: Packet[] | null = null;

  constructor(
    private readonly side: RelaySide,
    deprecateEof: boolean,
  ) {
    this.reader = new ResponseReader(deprecateEof, (r) => this.current?.record?.results.push(r), side.hooks.extendedMetadata);
    this.reader.status = side.hooks.targetStatus;
  }

  /** Whether the target is paused for a budget decision (a drained client must not resume it). */
  get holding(): boolean {
    return this.held !== null;
  }

  /** Follows the answer to a command about to be sent. */
  expect(cur: InFlight, masker: RowMasker | null, text: string | null): void {
    this.current = cur;
    this.reader.start(cur.expect, masker, text);
  }

  push(d: Buffer): void {
    const wasEmpty = this.framer.pending === 0;
    let packets: Packet[];
    try {
      packets = this.framer.push(d);
    } catch (err) {
      this.side.sendError(new MysqlError(Err.TargetLost, `Lost connection to the target: ${(err as Error).message}`), null);
      this.side.finish(true, "the target sent a malformed stream");
      return;
    }
    // What was already on its way while the stream is held waits behind what is held.
    if (this.held) return void this.held.push(...packets);
    this.relay(packets, wasEmpty && this.framer.pending === 0 ? d : null);
  }

  /** `whole`: the chunk the packets came in, when it held whole packets only (sent as it came if nothing changed). */
  private relay(packets: Packet[], whole: Buffer | null): void {
    const { hooks } = this.side;
    const rowMasker = this.side.rowMasker();
    const out: Buffer[] = [];
    let untouched = true;
    let audited = false;
    for (let i = 0; i < packets.length; i++) {
      const p = packets[i];
      const cur = this.current;
      if (!cur) {
        // Unsolicited (the target's own goodbye before it closes): passed on as it came.
        out.push(p.raw ?? framePacket(p.payload, p.seq).bytes);
        continue;
      }
      const overrun = cur.cut ? null : overBudget(hooks, this.reader, cur, p);
      if (overrun?.onExceed === "review") {
        this.holdForBudget(overrun, cur, packets.slice(i));
        break;
      }
      if (overrun) cur.cut = budgetCut(overrun.message);
      if (cur.cut) {
        untouched = false;
        dropPastBudget(this.reader, cur, cur.cut, p, out);
        if (this.reader.done) audited = this.completed(cur) || audited;
        continue;
      }
      let replacement = this.reader.feed(p.payload);
      if (cur.silent) {
        untouched = false;
        if (this.reader.done) audited = this.completed(cur) || audited;
        continue;
      }
      if (p.payload[0] === 0xff) {
        const withheld = hooks.localInfileRefusal ? withheldInfileError(p.payload, hooks.localInfileRefusal) : null;
        if (withheld) replacement = withheld;
        else if (rowMasker && hooks.masking()) replacement = rowMasker.maskedError(p.payload, cur.record?.text ?? cur.statementText ?? null);
      }
      if (replacement === null && cur.shift === 0 && p.raw) out.push(p.raw);
      else {
        untouched = false;
        const payload = replacement ?? p.payload;
        out.push(framePacket(payload, p.seq + cur.shift).bytes);
        cur.shift += partsOf(payload.length) - (((p.lastSeq - p.seq) & 0xff) + 1);
      }
      if (!this.reader.done) continue;
      if (cur.expect.kind === "results" && p.payload[0] === 0xfb && p.payload.length > 1) {
        this.infile = true;
        this.infileSeq = (p.lastSeq + 1) & 0xff;
        this.reader.start(cur.expect, rowMasker && hooks.masking() ? rowMasker : null, cur.record?.text ?? null);
        continue;
      }
      audited = this.completed(cur) || audited;
    }
    // A result the client sees has its event on disk first (a kill after the write loses nothing acknowledged).
    if (audited) hooks.syncAudit();
    // The chunk as it came when it held whole packets only, all passed unchanged (the common case): no copy.
    if (untouched && whole && out.length) this.side.toClient(whole);
    else if (out.length) this.side.toClient(out.length === 1 ? out[0] : Buffer.concat(out));
  }

  /** A `review` budget: the target is paused and its packets from the row that passed the budget on wait for the approver. */
  private holdForBudget(overrun: BudgetOverrun, cur: InFlight, rest: Packet[]): void {
    const { target, client } = this.side;
    this.held = rest;
    target.pause();
    const decision = awaitBudgetDecision(this.side.hooks, overrun, cur.record?.text ?? "", (cutWith) => {
      this.side.setHeld(null);
      if (this.side.closed() || !this.held) return;
      const packets = this.held;
      this.held = null;
      if (cutWith !== null) cur.cut = budgetCut(cutWith);
      this.relay(packets, null);
      if (!this.held && !client.writableNeedDrain) target.resume();
    });
    this.side.setHeld(decision);
  }

  /** Ends the command in flight; true when it was audited. */
  private completed(cur: InFlight): boolean {
    this.current = null;
    const rowMasker = this.side.rowMasker();
    if (cur.cursor !== undefined && rowMasker) this.side.statements.cursorOpened(cur.cursor, rowMasker.layout());
    if (cur.expect.kind === "prepare" && this.reader.prepared && cur.statementText !== undefined)
      this.side.statements.prepared(this.reader.prepared.statementId, cur.statementText, this.reader.prepared.params);
    if (cur.record) this.side.hooks.audit(Object.assign({}, cur.record, { masked: rowMasker?.masker.takeCounts() ?? null }));
    cur.resolve();
    return cur.record !== null;
  }
}
