import type { ColumnLayout } from "./row-masker";

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

  cursorLayout(id: number): ColumnLayout | undefined {
    return this.cursors.get(id);
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
