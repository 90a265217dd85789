import { looksMasked, MaskedShapeScan } from "../../../core/masking/masked-shape";
import { Cursor, skipBinaryValue } from "./packet-codec";
import { MysqlError } from "./handshake-messages";
import { Err, STRING_TYPES } from "./protocol-constants";
import { maskedWriteError, type maskedWriteTable } from "./masked-writes";

/** A statement that writes into a table a column rule covers, as maskedWriteTable tells it. */
export type MaskedWriteTarget = NonNullable<ReturnType<typeof maskedWriteTable>>;

/** An execute refused (`kind` for the audit); `heldLongData`: the server still holds long data sent for it, which the relay must reset. */
export type ExecuteRefusal = { error: MysqlError; kind: string; heldLongData: boolean };

const UNKNOWN_TYPES =
  "Gatehouse refused this execute: it writes into a table whose columns are masked for you, and its parameters could not be read to check that none is a masked value (prepare the statement again)";

/**
 * The values a session binds to its prepared statements (COM_STMT_EXECUTE, and the pieces of
 * COM_STMT_SEND_LONG_DATA before it), checked for a masked stand-in (masked-shape.ts) when the
 * statement writes into a table a column rule covers: a driver's server-side prepared UPDATE
 * (mysql2's execute(), JDBC with useServerPrepStmts, MySQL Connector/Python's prepared cursor) would
 * otherwise store what masking showed in place of the real value, as a literal in the text would.
 *
 * The types of an execute's parameters come with it only when it binds new ones (after that the
 * server keeps them), so they are kept per statement; a parameter sent as long data is not in the
 * execute's values, and what was sent of it is scanned as it comes.
 */
export class PreparedWrites {
  private readonly types = new Map<number, Buffer>();
  private readonly longData = new Map<number, Map<number, MaskedShapeScan | null>>();

  /**
   * COM_STMT_SEND_LONG_DATA of statement `id` (parameter id, bytes): remembered as sent, and scanned
   * when the statement is a masked write (`target`). It has no answer; its execute is refused if it
   * carried a masked value.
   */
  sentLongData(payload: Buffer, id: number, target: MaskedWriteTarget | null): void {
    if (payload.length < 7) return;
    const param = payload.readUInt16LE(5);
    let sent = this.longData.get(id);
    if (!sent) this.longData.set(id, (sent = new Map()));
    let scan = sent.get(param);
    if (scan === undefined) sent.set(param, (scan = target ? new MaskedShapeScan() : null));
    // ASCII is all a masked stand-in holds: read as latin1, any ASCII-compatible character set reads alike.
    scan?.push(payload.toString("latin1", 7));
  }

  /**
   * A COM_STMT_EXECUTE of statement `id` with `params` parameters: the refusal when it writes a
   * masked value into `target` (or its values cannot be read to tell); null when it may run. Every
   * execute, checked or not, keeps the types it binds and ends the statement's long data (the server
   * forgets it after an execute).
   */
  execute(payload: Buffer, id: number, params: number, target: MaskedWriteTarget | null): ExecuteRefusal | null {
    const sent = this.longData.get(id);
    this.longData.delete(id);
    if (params === 0) return null;
    const refused = (error: MysqlError) => ({ error, kind: target?.kind ?? "EXECUTE", heldLongData: sent !== undefined });
    let values: Array<string | null>;
    try {
      values = this.read(payload, id, params, sent);
    } catch {
      return target ? refused(new MysqlError(Err.TableAccessDenied, UNKNOWN_TYPES)) : null;
    }
    if (!target) return null;
    const masked = values.some((v) => v !== null && looksMasked(v)) || [...(sent?.values() ?? [])].some((scan) => scan?.masked);
    return masked ? refused(maskedWriteError(target.kind, target.table)) : null;
  }

  /** COM_STMT_RESET: the server drops the statement's long data. */
  reset(id: number): void {
    this.longData.delete(id);
  }

  closed(id: number): void {
    this.types.delete(id);
    this.longData.delete(id);
  }

  clear(): void {
    this.types.clear();
    this.longData.clear();
  }

  /** The string values of an execute (null for NULL, a number, a date, long data); throws when they cannot be read. */
  private read(payload: Buffer, id: number, params: number, sent: Map<number, unknown> | undefined): Array<string | null> {
    // 0x17, statement id (4), flags (1), iteration count (4), NULL bitmap, new-params-bound flag, [types], values.
    const c = new Cursor(payload, 10);
    const nulls = c.bytes((params + 7) >> 3);
    let types = this.types.get(id);
    if (c.u8() === 1) this.types.set(id, (types = Buffer.from(c.bytes(params * 2))));
    if (!types) throw new RangeError("the parameters' types were never bound");
    const values: Array<string | null> = [];
    for (let i = 0; i < params; i++) {
      if (nulls[i >> 3] & (1 << (i & 7)) || sent?.has(i)) {
        values.push(null);
        continue;
      }
      const type = types[i * 2];
      const start = skipBinaryValue(c, type);
      if (start === null) throw new RangeError(`a parameter of unknown type 0x${type.toString(16)}`);
      values.push(STRING_TYPES.has(type) ? payload.toString("latin1", start, c.pos) : null);
    }
    return values;
  }
}
