import type { SessionMasking } from "../../../core/masking/compile-rules";
import { MysqlError } from "./handshake-messages";
import { Err } from "./protocol-constants";
import type { ColumnLayout, RowMasker } from "./row-masker";
import { PreparedWrites } from "./prepared-writes";

const UNMASKABLE_CURSOR = "Gatehouse cannot mask this cursor's rows (no open cursor, or the masking rules changed since it was opened); execute the statement again";

/**
 * A session's prepared statements, as the relay follows them: each id's SQL (a COM_STMT_EXECUTE runs
 * what its prepare was judged and is audited as), the column layout of each open cursor (its
 * COM_STMT_FETCH rows come without column definitions, so masking needs the execute's), and the
 * values bound to them, checked for masked values written back (PreparedWrites).
 */
export class PreparedStatements {
  readonly writes = new PreparedWrites();
  private readonly texts = new Map<number, string>();
  private readonly params = new Map<number, number>();
  private readonly cursors = new Map<number, ColumnLayout>();
  private lastId: number | null = null;

  prepared(id: number, text: string, params: number): void {
    this.texts.set(id, text);
    this.params.set(id, params);
    this.lastId = id;
  }

  /** The id a COM_STMT_EXECUTE names (0xffffffff: the one prepared last). */
  idOf(id: number): number {
    return id === 0xffffffff && this.lastId !== null ? this.lastId : id;
  }

  /** How many parameters a statement takes (0 when it is not known). */
  paramsOf(id: number): number {
    return this.params.get(this.idOf(id)) ?? 0;
  }

  /** The SQL of a statement id (0xffffffff: the one prepared last, as MariaDB's bulk commands say). */
  textOf(id: number): string {
    return this.texts.get(this.idOf(id)) ?? "(unknown prepared statement)";
  }

  /** An execute starts: a cursor it opened before is gone. */
  executing(id: number): void {
    this.cursors.delete(id);
  }

  cursorOpened(id: number, layout: ColumnLayout): void {
    this.cursors.set(id, layout);
  }

  /**
   * Before a COM_STMT_FETCH on a masked session: the cursor's rows are masked by the columns its
   * execute reported (kept then, views traced as they were), under the same rules only. The error
   * to refuse the fetch with when that cannot be (no open cursor, or the rules changed); null to go on.
   */
  restoreCursor(id: number, masker: RowMasker | null, masking: SessionMasking): MysqlError | null {
    const layout = this.cursors.get(id);
    return layout && masker?.restore(layout, masking) ? null : new MysqlError(Err.SpecificAccessDenied, UNMASKABLE_CURSOR);
  }

  closed(id: number): void {
    this.texts.delete(id);
    this.params.delete(id);
    this.cursors.delete(id);
    this.writes.closed(id);
  }

  /** COM_RESET_CONNECTION or COM_CHANGE_USER: the server forgets them all. */
  clear(): void {
    this.texts.clear();
    this.params.clear();
    this.cursors.clear();
    this.writes.clear();
  }
}
