import type { SessionMasking } from "../../../core/masking/compile-rules";
import { MysqlError } from "./handshake-messages";
import { Err } from "./protocol-constants";
import type { ColumnLayout, RowMasker } from "./row-masker";

const UNMASKABLE_CURSOR = "Gatehouse cannot mask this cursor's rows (no open cursor, or the masking rules changed since it was opened); execute the statement again";

/**
 * A session's prepared statements, as the relay follows them: each id's SQL (a COM_STMT_EXECUTE runs
 * what its prepare was judged and is audited as), and the column layout of each open cursor (its
 * COM_STMT_FETCH rows come without column definitions, so masking needs the execute's).
 */
export class PreparedStatements {
  private readonly texts = new Map<number, string>();
  private readonly cursors = new Map<number, ColumnLayout>();
  private last: string | null = null;

  prepared(id: number, text: string): void {
    this.texts.set(id, text);
    this.last = text;
  }

  /** The SQL of a statement id (0xffffffff: the one prepared last, as MariaDB's bulk commands say). */
  textOf(id: number): string {
    return this.texts.get(id) ?? (id === 0xffffffff ? this.last : null) ?? "(unknown prepared statement)";
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
    this.cursors.delete(id);
  }

  /** COM_RESET_CONNECTION or COM_CHANGE_USER: the server forgets them all. */
  clear(): void {
    this.texts.clear();
    this.cursors.clear();
  }
}
