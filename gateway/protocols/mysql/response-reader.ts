import { Cursor } from "./packet-codec";
import { parseErr } from "./handshake-messages";
import { Status } from "./protocol-constants";
import type { RowMasker } from "./row-masker";
import { columnNamesEnd, parseColumnDef } from "./column-definition";

/** What the target answers to a command, as the relay expects it. */
export type Expect =
  | { kind: "results"; binary: boolean } // COM_QUERY (text rows), COM_STMT_EXECUTE (binary rows): results until no "more results"
  | { kind: "prepare" } // COM_STMT_PREPARE: OK with counts, then parameter and column definitions
  | { kind: "rows-until-eof"; binary: boolean; definitions?: boolean } // COM_STMT_FETCH rows, COM_FIELD_LIST column definitions
  | { kind: "single" }; // COM_PING, COM_INIT_DB, COM_RESET_CONNECTION...: one packet

/** A packet of the rows phase that is a row (not the ERR or the EOF/OK that ends the rows; a row starting 0xfe is 16 MiB or more). */
export const isRowPacket = (payload: Buffer): boolean => payload[0] !== 0xff && !(payload[0] === 0xfe && payload.length < 0xffffff);

/** One finished result of a command: rows of a result set, or what an OK reports. */
export type ResultDone = { rows: number | null; at: number; error?: { code: string; message: string } };

type Phase = "first" | "columns" | "columns-eof" | "rows" | "prepare-params" | "prepare-params-eof" | "prepare-columns" | "prepare-columns-eof" | "done";

/**
 * Follows the target's answer to one command packet by packet (no I/O): where each result set
 * ends, whether more follow (SERVER_MORE_RESULTS_EXISTS), row counts and errors for the audit,
 * and rows through the masker. `feed` returns a replacement payload when masking changed one.
 */
export class ResponseReader {
  private phase: Phase = "done";
  private expect: Expect = { kind: "single" };
  private columnsLeft = 0;
  private paramsLeft = 0;
  private rows = 0;
  /** COM_STMT_PREPARE's answer: the statement id and how many columns its results have. */
  prepared: { statementId: number; columns: number; params: number } | null = null;

  constructor(
    private readonly deprecateEof: boolean,
    private readonly onResult: (r: ResultDone) => void,
    /**
     * Whether column definitions carry MariaDB's extended metadata: as the target sends them, and as
     * the client expects them. The client's greeting was the one target's the gateway knew then; a
     * target that does not send the block has an empty one added for a client that expects it.
     */
    private readonly metadata: { target: boolean; client: boolean } = { target: false, client: false },
  ) {}

  get done(): boolean {
    return this.phase === "done";
  }

  /** The next packet is a row of a result set, or the packet that ends the rows. */
  get inRows(): boolean {
    return this.phase === "rows";
  }

  /** `text`: the SQL whose results follow (masking reads its column references for computed columns). */
  start(expect: Expect, masker: RowMasker | null, text: string | null = null): void {
    this.expect = expect;
    this.masker = masker;
    this.text = text;
    if (expect.kind === "results") masker?.runs(text);
    this.prepared = null;
    this.phase = expect.kind === "prepare" ? "first" : expect.kind === "rows-until-eof" ? "rows" : "first";
    this.rows = 0;
  }
  private masker: RowMasker | null = null;
  private text: string | null = null;
  /** The server status flags of the last OK or EOF the target sent (its sql_mode's NO_BACKSLASH_ESCAPES among them). */
  status = 0;

  /** The session reads a backslash in a string as itself (sql_mode NO_BACKSLASH_ESCAPES), as the target last said. */
  get noBackslashEscapes(): boolean {
    return (this.status & Status.NoBackslashEscapes) !== 0;
  }

  /** Takes one packet of the answer; returns the payload to send instead, or null to send it as it came. */
  feed(payload: Buffer): Buffer | null {
    const first = payload[0];
    if (this.expect.kind === "single") {
      if (first === 0xff) this.error(payload);
      else {
        if (first === 0x00) this.status = okPacketStatus(payload);
        this.onResult({ rows: first === 0x00 ? this.affected(payload) : null, at: Date.now() });
      }
      this.phase = "done";
      return null;
    }
    switch (this.phase) {
      case "first":
        if (first === 0xff) {
          this.error(payload);
          this.phase = "done";
          return null;
        }
        if (this.expect.kind === "prepare") return this.prepareOk(payload);
        if (first === 0x00) {
          const c = new Cursor(payload, 1);
          const affected = c.lenenc() ?? 0;
          c.lenenc();
          this.onResult({ rows: affected, at: Date.now() });
          this.status = c.u16();
          this.phase = this.status & Status.MoreResultsExist ? "first" : "done";
          return null;
        }
        if (first === 0xfb) {
          // A LOCAL INFILE request: only sent when the connection allows it (the capability is withheld otherwise).
          this.phase = "done";
          return null;
        }
        this.columnsLeft = new Cursor(payload).lenenc() ?? 0;
        this.masker?.reset(this.text);
        this.phase = "columns";
        return null;
      case "columns":
        this.masker?.addColumn(parseColumnDef(payload, this.metadata.target));
        if (--this.columnsLeft === 0) this.phase = this.deprecateEof ? "rows" : "columns-eof";
        return this.definition(payload);
      case "columns-eof":
        // A prepared statement executed with a cursor: its rows come later, by COM_STMT_FETCH; this answer ends here.
        if (payload.length >= 5 && payload.readUInt16LE(3) & Status.CursorExists) {
          this.onResult({ rows: 0, at: Date.now() });
          this.phase = "done";
          return null;
        }
        this.phase = "rows";
        return null;
      case "rows":
        return this.row(payload);
      case "prepare-params":
        if (--this.paramsLeft === 0) this.phase = this.deprecateEof ? this.afterParams() : "prepare-params-eof";
        return this.definition(payload);
      case "prepare-params-eof":
        this.phase = this.afterParams();
        return null;
      case "prepare-columns":
        if (--this.columnsLeft === 0) this.phase = this.deprecateEof ? "done" : "prepare-columns-eof";
        return this.definition(payload);
      case "prepare-columns-eof":
        this.phase = "done";
        return null;
      case "done":
        return null;
    }
  }

  private row(payload: Buffer): Buffer | null {
    const first = payload[0];
    if (first === 0xff) {
      this.error(payload);
      this.phase = "done";
      return null;
    }
    // The end of the rows: EOF, or an OK with the 0xfe header under CLIENT_DEPRECATE_EOF (a row starting 0xfe is 16 MiB or more).
    if (first === 0xfe && payload.length < 0xffffff) {
      const status = payload.length >= 5 && !this.deprecateEof ? payload.readUInt16LE(3) : okPacketStatus(payload);
      this.status = status;
      if (this.expect.kind === "results") this.onResult({ rows: this.rows, at: Date.now() });
      else if (this.expect.kind === "rows-until-eof") this.onResult({ rows: this.rows, at: Date.now() });
      this.phase = this.expect.kind === "results" && status & Status.MoreResultsExist ? "first" : "done";
      return null;
    }
    this.rows++;
    if (this.expect.kind === "rows-until-eof" && this.expect.definitions) return this.definition(payload);
    if (!this.masker) return null;
    const binary = this.expect.kind !== "single" && "binary" in this.expect && this.expect.binary;
    return binary ? this.masker.binaryRow(payload) : this.masker.textRow(payload);
  }

  /** A column definition as the client expects it: with an empty extended metadata block where the target sent none. */
  private definition(payload: Buffer): Buffer | null {
    if (!this.metadata.client || this.metadata.target) return null;
    const at = columnNamesEnd(payload);
    return Buffer.concat([payload.subarray(0, at), Buffer.from([0]), payload.subarray(at)]);
  }

  private prepareOk(payload: Buffer): null {
    const c = new Cursor(payload, 1);
    const statementId = c.u32();
    this.columnsLeft = c.u16();
    this.paramsLeft = c.u16();
    this.prepared = { statementId, columns: this.columnsLeft, params: this.paramsLeft };
    this.onResult({ rows: null, at: Date.now() });
    this.phase = this.paramsLeft > 0 ? "prepare-params" : this.afterParams();
    return null;
  }

  private afterParams(): Phase {
    return this.columnsLeft > 0 ? "prepare-columns" : "done";
  }

  private affected(payload: Buffer): number | null {
    try {
      return new Cursor(payload, 1).lenenc();
    } catch {
      return null;
    }
  }

  private error(payload: Buffer): void {
    const e = parseErr(payload);
    this.onResult({ rows: null, at: Date.now(), error: { code: String(e.code), message: e.message } });
  }
}

/** The server status flags of an OK packet (0 when it is too short to hold them). */
export function okPacketStatus(payload: Buffer): number {
  try {
    const c = new Cursor(payload, 1);
    c.lenenc();
    c.lenenc();
    return c.u16();
  } catch {
    return 0;
  }
}
